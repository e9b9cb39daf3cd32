/**
 * Attestation documents of AWS Nitro Enclaves and NitroTPM, as KMS reads a `Recipient`: the one
 * place a document is judged. Sources: the Nitro Enclaves User Guide, "Verifying the root of
 * trust" (the document's CDDL and the validation steps), and the EC2 User Guide, "Validate a
 * NitroTPM attestation document".
 *
 * A document is a COSE_Sign1 (tagged 18 or untagged) whose protected header names ES384 and
 * whose payload is a CBOR map:
 *
 *   module_id text, timestamp uint (ms), digest "SHA384",
 *   pcrs {0..31 => bstr 48}          (Nitro Enclaves)   or
 *   nitrotpm_pcrs {0..23 => bstr 48} (NitroTPM: the instance's TPM PCRs, module_id `i-...-tpm...`)
 *   certificate bstr (DER), cabundle [bstr DER, ...] (root first),
 *   ? public_key bstr / null, ? user_data bstr / null, ? nonce bstr / null (each at most 1024 bytes)
 *
 * Checks, in order: the CBOR and COSE structure, ES384, the payload's fields and PCR lengths, the
 * signature with the leaf certificate's P-384 key, then the chain cabundle -> certificate up to
 * a trusted root, every certificate valid at `now` (an injected clock) and every issuer a CA.
 * A Recipient's public_key must moreover be an RSA SubjectPublicKeyInfo of 2048 to 4096 bits
 * (`recipientKey`). Any failure is a ValidationException naming the check (AWS's error for a bad
 * document is unrecorded; `messages.invalidAttestation` holds the wording), never the document.
 */
import { decode, Tag } from 'cbor2';
import { certificateKey, ChainError, parseCertificate, verifyChain, type Certificate } from '../crypto/certificate-chain.js';
import { rsaRecipientKey, type RecipientPublicKey } from '../crypto/cms.js';
import { COSE_SIGN1_TAG, ES384, verifyEs384 } from '../crypto/cose.js';
import { messages, missingMember, ValidationException } from '../errors.js';

export type AttestationKind = 'nitro-enclave' | 'nitro-tpm';

export interface VerifiedAttestation {
  kind: AttestationKind;
  moduleId: string;
  timestamp: number;
  digest: 'SHA384';
  pcrs: ReadonlyMap<number, Buffer>;
  certificate: Certificate;
  publicKey?: Buffer;
  userData?: Buffer;
  nonce?: Buffer;
}

/** Refuses a document: the one place its error is made. */
export function invalidAttestation(check: string): ValidationException {
  return new ValidationException(messages.invalidAttestation(check));
}

const PCR_LENGTH = 48; // SHA-384
const MAX_OPTIONAL = 1024;
const MAX_CABUNDLE = 16;
const DECODE = { preferMap: true, rejectDuplicateKeys: true, ignoreGlobalTags: true, maxDepth: 8 } as const;

function cbor(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes, DECODE);
  } catch {
    throw invalidAttestation(`${what} is not well-formed CBOR`);
  }
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function field<T>(payload: Map<unknown, unknown>, name: string, is: (v: unknown) => v is T, what: string): T {
  const value = payload.get(name);
  if (!is(value)) throw invalidAttestation(`${name} is missing or not ${what}`);
  return value;
}

function optionalBytes(payload: Map<unknown, unknown>, name: string): Buffer | undefined {
  const value = payload.get(name);
  if (value === undefined || value === null) return undefined;
  if (!isBytes(value) || value.length > MAX_OPTIONAL) throw invalidAttestation(`${name} is not a byte string of at most ${MAX_OPTIONAL} bytes`);
  return Buffer.from(value);
}

function readPcrs(value: unknown, name: string, maxIndex: number): Map<number, Buffer> {
  if (!(value instanceof Map) || value.size === 0 || value.size > maxIndex + 1) throw invalidAttestation(`${name} is not a map of PCRs`);
  const pcrs = new Map<number, Buffer>();
  for (const [index, pcr] of value) {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > maxIndex) {
      throw invalidAttestation(`${name} has an index outside 0..${maxIndex}`);
    }
    if (!isBytes(pcr) || pcr.length !== PCR_LENGTH) throw invalidAttestation(`${name}[${index}] is not ${PCR_LENGTH} bytes (SHA384)`);
    pcrs.set(index, Buffer.from(pcr));
  }
  return pcrs;
}

interface Sign1 {
  protectedHeader: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

function readSign1(document: Uint8Array): Sign1 {
  let value = cbor(document, 'the document');
  if (value instanceof Tag) {
    if (value.tag !== COSE_SIGN1_TAG) throw invalidAttestation('it is not a COSE_Sign1 (wrong CBOR tag)');
    value = value.contents;
  }
  if (!Array.isArray(value) || value.length !== 4) throw invalidAttestation('it is not a COSE_Sign1 array of four');
  const [protectedHeader, unprotected, payload, signature] = value as unknown[];
  if (!isBytes(protectedHeader) || !(unprotected instanceof Map) || !isBytes(payload) || !isBytes(signature)) {
    throw invalidAttestation('it is not a COSE_Sign1 (member types)');
  }
  const header = cbor(protectedHeader, 'the protected header');
  if (!(header instanceof Map) || header.get(1) !== ES384) throw invalidAttestation('the protected header does not name ES384');
  if (signature.length !== 96) throw invalidAttestation('the signature is not 96 bytes (ES384)');
  return { protectedHeader, payload, signature };
}

/**
 * Verifies a Nitro Enclaves or NitroTPM attestation document against `trusted` roots at `now`
 * (milliseconds since the epoch). Returns its fields; throws ValidationException otherwise.
 */
export function verifyAttestationDocument(document: Uint8Array, trusted: readonly Certificate[], now: number): VerifiedAttestation {
  const sign1 = readSign1(document);
  const payload = cbor(sign1.payload, 'the payload');
  if (!(payload instanceof Map)) throw invalidAttestation('the payload is not a map');

  const moduleId = field(payload, 'module_id', (v): v is string => typeof v === 'string' && v.length > 0, 'text');
  const timestamp = field(payload, 'timestamp', (v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0, 'a timestamp');
  const digest = field(payload, 'digest', (v): v is 'SHA384' => v === 'SHA384', 'SHA384');
  const enclave = payload.has('pcrs');
  if (enclave === payload.has('nitrotpm_pcrs')) throw invalidAttestation('it has neither pcrs nor nitrotpm_pcrs, or both');
  const pcrs = enclave ? readPcrs(payload.get('pcrs'), 'pcrs', 31) : readPcrs(payload.get('nitrotpm_pcrs'), 'nitrotpm_pcrs', 23);
  const leafDer = field(payload, 'certificate', isBytes, 'a certificate');
  const bundle = field(payload, 'cabundle', (v): v is unknown[] => Array.isArray(v) && v.length > 0 && v.length <= MAX_CABUNDLE, 'a list of certificates');
  if (!bundle.every(isBytes)) throw invalidAttestation('cabundle holds something other than certificates');
  const publicKey = optionalBytes(payload, 'public_key');
  const userData = optionalBytes(payload, 'user_data');
  const nonce = optionalBytes(payload, 'nonce');

  let chain: Certificate[];
  try {
    chain = [...bundle.map((der, i) => parseCertificate(der, `cabundle[${i}]`)), parseCertificate(leafDer, 'certificate')];
  } catch (err) {
    if (err instanceof ChainError) throw invalidAttestation(`${err.position} is not an X.509 certificate`);
    throw err;
  }
  const leaf = chain[chain.length - 1]!;
  const leafKey = certificateKey(leaf);
  if (!leafKey) throw invalidAttestation('certificate is not an X.509 certificate');
  if (!verifyEs384(leafKey, sign1.protectedHeader, sign1.payload, sign1.signature)) {
    throw invalidAttestation('its signature does not verify with the certificate (ES384, P-384)');
  }
  try {
    verifyChain(chain, [...bundle.map((_, i) => `cabundle[${i}]`), 'certificate'], trusted, now);
  } catch (err) {
    if (err instanceof ChainError) throw invalidAttestation(chainReason(err));
    throw err;
  }
  return {
    kind: enclave ? 'nitro-enclave' : 'nitro-tpm',
    moduleId,
    timestamp,
    digest,
    pcrs,
    certificate: leaf,
    ...(publicKey && { publicKey }),
    ...(userData && { userData }),
    ...(nonce && { nonce }),
  };
}

function chainReason(err: ChainError): string {
  switch (err.fault) {
    case 'untrusted':
      return 'its certificate chain does not lead to a trusted root';
    case 'expired':
      return `${err.position} has expired`;
    case 'not-yet-valid':
      return `${err.position} is not yet valid`;
    case 'not-a-ca':
      return `${err.position} is not a CA certificate but issues one`;
    case 'issuer':
      return `${err.position} is not issued by the certificate before it`;
    case 'signature':
      return `${err.position} is not signed by its issuer`;
    case 'certificate':
      return `${err.position} is not an X.509 certificate`;
  }
}

/** The RSA key (2048..4096 bits) a Recipient's document carries, which KMS encrypts to. */
export function recipientKey(attestation: VerifiedAttestation): RecipientPublicKey {
  if (!attestation.publicKey) throw invalidAttestation('it has no public_key');
  const key = rsaRecipientKey(attestation.publicKey);
  if (!key) throw invalidAttestation('its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits');
  return key;
}

/** A Recipient whose document verified: its fields (for policy conditions) and the key to encrypt to. */
export interface AttestedRecipient {
  attestation: VerifiedAttestation;
  key: RecipientPublicKey;
}

/**
 * Judges a request's Recipient: its document verified at `now` against `trusted`, and an RSA
 * public_key to encrypt to. RSAES_OAEP_SHA_256 is the only KeyEncryptionAlgorithm (the model's
 * enum, checked by validation); absent, it is that one.
 */
export function attestRecipient(
  recipient: { AttestationDocument?: Uint8Array | undefined },
  trusted: readonly Certificate[],
  now: number,
): AttestedRecipient {
  if (recipient.AttestationDocument === undefined) throw missingMember('recipient.attestationDocument');
  const attestation = verifyAttestationDocument(recipient.AttestationDocument, trusted, now);
  return { attestation, key: recipientKey(attestation) };
}
