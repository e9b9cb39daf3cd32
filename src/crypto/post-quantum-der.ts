/**
 * DER encodings of ML-KEM (FIPS 203) and ML-DSA (FIPS 204) keys, following the IETF LAMPS
 * profiles (RFC 9935 for ML-KEM, RFC 9881 for ML-DSA) as AWS KMS returns them:
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { OID }, BIT STRING (raw public key) }
 *     (the AlgorithmIdentifier has no parameters)
 *   PrivateKeyInfo ::= SEQUENCE { INTEGER 0, SEQUENCE { OID }, OCTET STRING { [0] seed } }
 *     (the seed form: ML-KEM's 64-byte d || z, ML-DSA's 32-byte xi, as [0] IMPLICIT OCTET STRING)
 *
 * Node 20's OpenSSL knows neither algorithm, so these structures are written here; they are
 * checked against independent readers (Python's cryptography, the mlkem package) in the tests.
 */

import { BIT_STRING, INTEGER, OCTET_STRING, oid, SEQUENCE, tlv } from './der.js';

const OIDS = {
  'ML-KEM-512': '2.16.840.1.101.3.4.4.1',
  'ML-KEM-768': '2.16.840.1.101.3.4.4.2',
  'ML-KEM-1024': '2.16.840.1.101.3.4.4.3',
  'ML-DSA-44': '2.16.840.1.101.3.4.3.17',
  'ML-DSA-65': '2.16.840.1.101.3.4.3.18',
  'ML-DSA-87': '2.16.840.1.101.3.4.3.19',
} as const;

export type PostQuantumAlgorithm = keyof typeof OIDS;

function algorithmIdentifier(algorithm: PostQuantumAlgorithm): Buffer {
  return tlv(SEQUENCE, oid(OIDS[algorithm]));
}

export function encodeSpki(algorithm: PostQuantumAlgorithm, publicKey: Uint8Array): Buffer {
  return tlv(SEQUENCE, algorithmIdentifier(algorithm), tlv(BIT_STRING, Buffer.from([0x00]), Buffer.from(publicKey)));
}

export function encodeSeedPkcs8(algorithm: PostQuantumAlgorithm, seed: Uint8Array): Buffer {
  const version = tlv(INTEGER, Buffer.from([0x00]));
  const seedChoice = tlv(0x80, Buffer.from(seed)); // [0] IMPLICIT OCTET STRING
  return tlv(SEQUENCE, version, algorithmIdentifier(algorithm), tlv(OCTET_STRING, seedChoice));
}
