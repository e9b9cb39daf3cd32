/**
 * X.509 certificate chains for attestation documents (RFC 5280 section 6, the parts a Nitro
 * chain needs): each certificate parses, is issued by the one before it (names and signature),
 * is valid at the given time, and every issuer is a CA; the first is a trusted root or is
 * issued by one. Node's X509Certificate does the parsing and signature checks (OpenSSL).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';

/** A parsed X.509 certificate, for the layers above that may not import node:crypto. */
export type Certificate = X509Certificate;

/** Why a chain was refused, in words fit for an error message (no certificate contents). */
export type ChainFault = 'certificate' | 'untrusted' | 'issuer' | 'signature' | 'expired' | 'not-yet-valid' | 'not-a-ca';

export class ChainError extends Error {
  constructor(
    readonly fault: ChainFault,
    readonly position: string,
  ) {
    super(`${fault} at ${position}`);
  }
}

export function parseCertificate(der: Uint8Array, position: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(der));
  } catch {
    throw new ChainError('certificate', position);
  }
}

/** SHA-256 fingerprint of a certificate's DER, as `AA:BB:...` (what AWS publishes for its root). */
export function fingerprint256(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function checkTime(certificate: X509Certificate, at: number, position: string): void {
  if (at < Date.parse(certificate.validFrom)) throw new ChainError('not-yet-valid', position);
  if (at > Date.parse(certificate.validTo)) throw new ChainError('expired', position);
}

/**
 * Signatures already checked, by the SHA-256 of the child's and the issuer's DER: whether a
 * certificate's signature verifies under an issuer's key depends on those bytes alone, and every
 * document of one enclave fleet repeats the same intermediates, so each link is checked once
 * (a P-384 verification costs about half a millisecond). Bounded; cleared when full.
 */
const verifiedLinks = new Set<string>();
const MAX_VERIFIED_LINKS = 1024;

function checkIssued(child: X509Certificate, issuer: X509Certificate, position: string): void {
  if (!child.checkIssued(issuer)) throw new ChainError('issuer', position);
  const link = `${createHash('sha256').update(child.raw).digest('hex')}/${createHash('sha256').update(issuer.raw).digest('hex')}`;
  if (verifiedLinks.has(link)) return;
  if (!child.verify(issuer.publicKey)) throw new ChainError('signature', position);
  if (verifiedLinks.size >= MAX_VERIFIED_LINKS) verifiedLinks.clear();
  verifiedLinks.add(link);
}

/**
 * Checks `chain` (root side first, the leaf last) against `trusted` roots at time `at`
 * (milliseconds). The first certificate must be one of the trusted roots (byte for byte) or be
 * issued by one. Positions in errors are `cabundle[i]` and `certificate`.
 */
export function verifyChain(chain: readonly X509Certificate[], positions: readonly string[], trusted: readonly X509Certificate[], at: number): void {
  const first = chain[0];
  if (!first) throw new ChainError('untrusted', 'cabundle');
  const root = trusted.find((t) => t.raw.equals(first.raw)) ?? trusted.find((t) => issuedBy(first, t));
  if (!root) throw new ChainError('untrusted', positions[0] ?? 'cabundle[0]');
  checkTime(root, at, 'trusted root');
  if (!root.ca) throw new ChainError('not-a-ca', 'trusted root');
  for (let i = 0; i < chain.length; i++) {
    const certificate = chain[i]!;
    const position = positions[i] ?? `chain[${i}]`;
    try {
      checkTime(certificate, at, position);
      // A trusted root sent in the bundle is the trust anchor itself (RFC 5280 section 6.1.1):
      // its self-signature proves nothing more.
      if (i > 0 || !certificate.raw.equals(root.raw)) checkIssued(certificate, i === 0 ? root : chain[i - 1]!, position);
      if (i < chain.length - 1 && !certificate.ca) throw new ChainError('not-a-ca', position);
    } catch (err) {
      // A certificate OpenSSL parses may still hold a key it cannot decode (found by fuzzing).
      if (err instanceof ChainError) throw err;
      throw new ChainError('certificate', position);
    }
  }
}

/** The public key of a certificate, or undefined when OpenSSL cannot decode it. */
export function certificateKey(certificate: X509Certificate): KeyObject | undefined {
  try {
    return certificate.publicKey;
  } catch {
    return undefined;
  }
}

/** Every certificate in a PEM text (`-----BEGIN CERTIFICATE-----` blocks); throws if there is none or one is bad. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((block) => new X509Certificate(block));
}
