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

import { BIT_STRING, INTEGER, length, OCTET_STRING, oid, SEQUENCE, tlv } from './der.js';

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

/**
 * The seed is copied once, into the returned buffer: the headers around it are built first, so
 * no intermediate copy of the secret is left in memory for the caller's wipe to miss.
 */
export function encodeSeedPkcs8(algorithm: PostQuantumAlgorithm, seed: Uint8Array): Buffer {
  const version = tlv(INTEGER, Buffer.from([0x00]));
  const seedHeader = Buffer.concat([Buffer.from([0x80]), length(seed.length)]); // [0] IMPLICIT OCTET STRING
  const octetStringHeader = Buffer.concat([Buffer.from([OCTET_STRING]), length(seedHeader.length + seed.length)]);
  const algorithmId = algorithmIdentifier(algorithm);
  const bodyLength = version.length + algorithmId.length + octetStringHeader.length + seedHeader.length + seed.length;
  const header = Buffer.concat([Buffer.from([SEQUENCE]), length(bodyLength), version, algorithmId, octetStringHeader, seedHeader]);
  const der = Buffer.alloc(header.length + seed.length); // not from the shared pool of small Buffers
  header.copy(der);
  der.set(seed, header.length);
  return der;
}
