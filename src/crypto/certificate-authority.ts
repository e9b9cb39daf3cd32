/**
 * A small certificate authority for the attestation test kit (`trent attestation`): P-384 keys
 * and X.509 v3 certificates signed with ECDSA SHA-384, in the shape of the Nitro PKI (a root, an
 * intermediate, and a short-lived leaf per document). pkijs builds and signs the certificates
 * through Node's WebCrypto; node:crypto makes the keys.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

// pkijs types its engine with the DOM's Crypto; Node's webcrypto is that API.
const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] });

const OID_COMMON_NAME = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';

export interface P384KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newP384KeyPair(): P384KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-384' });
}

export interface CertificateRequest {
  subject: string;
  issuer: string;
  /** The certified key (any SubjectPublicKeyInfo). */
  publicKey: KeyObject;
  /** The issuer's P-384 private key (the subject's own for a self-signed root). */
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** A CA may issue certificates; a leaf only signs (documents). */
  ca: boolean;
}

/** A name of one common name (pkijs would put further attributes in the same RDN). */
function name(target: pkijs.RelativeDistinguishedNames, commonName: string): void {
  target.typesAndValues.push(new pkijs.AttributeTypeAndValue({ type: OID_COMMON_NAME, value: new asn1js.Utf8String({ value: commonName }) }));
}

/** RFC 5280 section 4.1.2.5: whole seconds; UTCTime through 2049, GeneralizedTime from 2050. */
function certificateTime(date: Date): pkijs.Time {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: seconds.getUTCFullYear() >= 2050 ? pkijs.TimeType.GeneralizedTime : pkijs.TimeType.UTCTime, value: seconds });
}

/** A DER X.509 v3 certificate, signed ECDSA with SHA-384. */
export async function issueCertificate(request: CertificateRequest): Promise<Buffer> {
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive, and no leading zero byte
  certificate.serialNumber = new asn1js.Integer({ valueHex: serial });
  name(certificate.subject, request.subject);
  name(certificate.issuer, request.issuer);
  // RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  certificate.notBefore = certificateTime(request.notBefore);
  certificate.notAfter = certificateTime(request.notAfter);
  const spki = request.publicKey.export({ type: 'spki', format: 'der' });
  certificate.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(new Uint8Array(spki)).result });
  const basicConstraints = new pkijs.BasicConstraints(request.ca ? { cA: true } : {});
  // keyCertSign and cRLSign for a CA (with digitalSignature, as AWS's root), digitalSignature for a leaf.
  const keyUsage = request.ca ? new asn1js.BitString({ valueHex: new Uint8Array([0x86]), unusedBits: 1 }) : new asn1js.BitString({ valueHex: new Uint8Array([0x80]), unusedBits: 7 });
  certificate.extensions = [
    new pkijs.Extension({ extnID: OID_BASIC_CONSTRAINTS, critical: true, extnValue: basicConstraints.toSchema().toBER(false), parsedValue: basicConstraints }),
    new pkijs.Extension({ extnID: OID_KEY_USAGE, critical: true, extnValue: keyUsage.toBER(false) }),
  ];
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    request.signingKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: 'P-384' },
    false,
    ['sign'],
  );
  await certificate.sign(signingKey as unknown as Parameters<pkijs.Certificate['sign']>[0], 'SHA-384', engine);
  return Buffer.from(certificate.toSchema(true).toBER(false));
}

/** A PEM private key file (the kit's intermediate key). */
export function readPrivateKey(pem: Buffer): KeyObject {
  return createPrivateKey(pem);
}

/** A public key file (DER or PEM; SubjectPublicKeyInfo, PKCS#1 RSA, or a private key's public half) as DER SPKI. */
export function spkiOfKeyFile(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  let key: KeyObject;
  if (text.includes('-----BEGIN')) key = createPublicKey(text);
  else {
    try {
      key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
    } catch {
      key = createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' });
    }
  }
  return key.export({ type: 'spki', format: 'der' });
}

/** What a DER SubjectPublicKeyInfo holds (`rsa-2048`, `ec`, ...), or undefined if it is not one. */
export function publicKeyType(spki: Buffer): string | undefined {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return `${key.asymmetricKeyType ?? 'unknown'}${bits ? `-${bits}` : ''}`;
  } catch {
    return undefined;
  }
}

/** PEM of a DER certificate. */
export function certificatePem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
