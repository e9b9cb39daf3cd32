/**
 * Known-answer checks of the ML-KEM (RFC 9935) and ML-DSA (RFC 9881) DER encodings in
 * src/crypto/post-quantum-der.ts: first the fixed byte layout spelt out here from the RFCs, then
 * whole encodings compared with test/vectors/post-quantum-der.json, produced independently
 * (pyca/cryptography, and the mlkem package for ML-KEM-512; see each vector's `source`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { encodeSeedPkcs8, encodeSpki, type PostQuantumAlgorithm } from '../../src/crypto/post-quantum-der.js';

const KEM_SEED = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const DSA_SEED = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x40 + i));

interface LayoutRow {
  algorithm: PostQuantumAlgorithm;
  seed: Buffer;
  /** PKCS#8 bytes before the seed. */
  pkcs8Prefix: string;
  pkcs8Length: number;
  /** SPKI bytes before the raw public key (the BIT STRING's unused-bits byte included). */
  spkiPrefix: string;
  publicKeyLength: number;
  spkiLength: number;
  keygen: (seed: Uint8Array) => { publicKey: Uint8Array };
}

// ML-KEM PKCS#8: SEQUENCE(84) { INTEGER 0, SEQUENCE(11) { OID 2.16.840.1.101.3.4.4.n }, OCTET STRING(66) { [0](64) seed } }
// ML-DSA PKCS#8: SEQUENCE(52) { INTEGER 0, SEQUENCE(11) { OID 2.16.840.1.101.3.4.3.(17|18|19) }, OCTET STRING(34) { [0](32) seed } }
const layouts: LayoutRow[] = [
  {
    algorithm: 'ML-KEM-512',
    seed: KEM_SEED,
    pkcs8Prefix: '3054 020100 300b 0609608648016503040401 0442 8040',
    pkcs8Length: 86,
    spkiPrefix: '30820332 300b 0609608648016503040401 0382032100',
    publicKeyLength: 800,
    spkiLength: 822,
    keygen: (seed) => ml_kem512.keygen(seed),
  },
  {
    algorithm: 'ML-KEM-768',
    seed: KEM_SEED,
    pkcs8Prefix: '3054 020100 300b 0609608648016503040402 0442 8040',
    pkcs8Length: 86,
    spkiPrefix: '308204b2 300b 0609608648016503040402 038204a100',
    publicKeyLength: 1184,
    spkiLength: 1206,
    keygen: (seed) => ml_kem768.keygen(seed),
  },
  {
    algorithm: 'ML-KEM-1024',
    seed: KEM_SEED,
    pkcs8Prefix: '3054 020100 300b 0609608648016503040403 0442 8040',
    pkcs8Length: 86,
    spkiPrefix: '30820632 300b 0609608648016503040403 0382062100',
    publicKeyLength: 1568,
    spkiLength: 1590,
    keygen: (seed) => ml_kem1024.keygen(seed),
  },
  {
    algorithm: 'ML-DSA-44',
    seed: DSA_SEED,
    pkcs8Prefix: '3034 020100 300b 0609608648016503040311 0422 8020',
    pkcs8Length: 54,
    spkiPrefix: '30820532 300b 0609608648016503040311 0382052100',
    publicKeyLength: 1312,
    spkiLength: 1334,
    keygen: (seed) => ml_dsa44.keygen(seed),
  },
  {
    algorithm: 'ML-DSA-65',
    seed: DSA_SEED,
    pkcs8Prefix: '3034 020100 300b 0609608648016503040312 0422 8020',
    pkcs8Length: 54,
    spkiPrefix: '308207b2 300b 0609608648016503040312 038207a100',
    publicKeyLength: 1952,
    spkiLength: 1974,
    keygen: (seed) => ml_dsa65.keygen(seed),
  },
  {
    algorithm: 'ML-DSA-87',
    seed: DSA_SEED,
    pkcs8Prefix: '3034 020100 300b 0609608648016503040313 0422 8020',
    pkcs8Length: 54,
    spkiPrefix: '30820a32 300b 0609608648016503040313 03820a2100',
    publicKeyLength: 2592,
    spkiLength: 2614,
    keygen: (seed) => ml_dsa87.keygen(seed),
  },
];

const compact = (spaced: string): string => spaced.replaceAll(' ', '');

describe('post-quantum DER layout (from the RFCs)', () => {
  for (const row of layouts) {
    it(`${row.algorithm} seed PKCS#8 is ${row.pkcs8Length} bytes: prefix || seed`, () => {
      const der = encodeSeedPkcs8(row.algorithm, row.seed);
      assert.equal(der.length, row.pkcs8Length);
      assert.equal(der.toString('hex'), compact(row.pkcs8Prefix) + row.seed.toString('hex'));
    });

    it(`${row.algorithm} SPKI is ${row.spkiLength} bytes for a ${row.publicKeyLength}-byte key: prefix || key`, () => {
      const publicKey = Buffer.from(row.keygen(row.seed).publicKey);
      assert.equal(publicKey.length, row.publicKeyLength);
      const der = encodeSpki(row.algorithm, publicKey);
      assert.equal(der.length, row.spkiLength);
      assert.equal(der.subarray(0, der.length - row.publicKeyLength).toString('hex'), compact(row.spkiPrefix));
      assert.deepEqual(der.subarray(der.length - row.publicKeyLength), publicKey);
    });
  }

  it('writes the seed it is given, not a copy of some other buffer', () => {
    const seed = Buffer.alloc(64, 0xee);
    assert.deepEqual(encodeSeedPkcs8('ML-KEM-768', seed).subarray(22), seed);
  });
});

interface Vector {
  algorithm: PostQuantumAlgorithm;
  seed: string;
  pkcs8: string;
  spki: string;
  source: string;
}

const vectorFile = new URL('../../../test/vectors/post-quantum-der.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: Vector[] };

describe('post-quantum DER against independent vectors', () => {
  it('has a vector for every algorithm, each naming its source', () => {
    assert.deepEqual(vectors.map((v) => v.algorithm).sort(), layouts.map((l) => l.algorithm).sort());
    for (const v of vectors) assert.match(v.source, /cryptography|mlkem/);
  });

  for (const v of vectors) {
    const layout = layouts.find((l) => l.algorithm === v.algorithm);
    it(`${v.algorithm}: PKCS#8 and SPKI equal the vector byte for byte`, () => {
      assert.ok(layout);
      const seed = Buffer.from(v.seed, 'hex');
      assert.equal(encodeSeedPkcs8(v.algorithm, seed).toString('hex'), v.pkcs8);
      assert.equal(encodeSpki(v.algorithm, layout.keygen(seed).publicKey).toString('hex'), v.spki);
    });
  }
});
