/**
 * Descriptor tables for the KMS key specs (CreateKey's KeySpec) and the data key pair specs
 * (GenerateDataKeyPair's KeyPairSpec). Every fact that depends on an algorithm lives here:
 * allowed key usages, the algorithms DescribeKey lists, how material is generated, and region
 * limits. Callers look a spec up once and use the resolved entry; no other module switches on
 * algorithm names.
 */
import type { KeyPairParams, KeyMaterialKind } from '../crypto/asymmetric.js';

export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'KEY_AGREEMENT' | 'ENCAPSULATE_DECAPSULATE';

/** What DescribeKey lists for a key of this spec and usage. */
export interface AlgorithmLists {
  EncryptionAlgorithms?: string[];
  SigningAlgorithms?: string[];
  MacAlgorithms?: string[];
  KeyAgreementAlgorithms?: string[];
  EncapsulationAlgorithms?: string[];
}

export interface KeySpecDescriptor {
  name: string;
  /** Usages CreateKey accepts, each with the algorithm lists DescribeKey shows for it. */
  usages: Partial<Record<KeyUsage, AlgorithmLists>>;
  /** The usage CreateKey assumes when none is given; only SYMMETRIC_DEFAULT has one. */
  defaultUsage?: KeyUsage;
  /** Whether the deprecated CustomerMasterKeySpec field mirrors this spec in DescribeKey. */
  legacyCustomerMasterKeySpec: boolean;
  material: KeyMaterialKind;
  chinaRegionsOnly: boolean;
}

const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
const RSA_SIGNING = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
];

function rsa(bits: number): KeySpecDescriptor {
  return {
    name: `RSA_${bits}`,
    usages: { ENCRYPT_DECRYPT: { EncryptionAlgorithms: RSA_ENCRYPTION }, SIGN_VERIFY: { SigningAlgorithms: RSA_SIGNING } },
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'key-pair', params: { kind: 'rsa', modulusLength: bits } },
    chinaRegionsOnly: false,
  };
}

function nistCurve(name: string, namedCurve: string, signing: string): KeySpecDescriptor {
  return {
    name,
    usages: { SIGN_VERIFY: { SigningAlgorithms: [signing] }, KEY_AGREEMENT: { KeyAgreementAlgorithms: ['ECDH'] } },
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'key-pair', params: { kind: 'ec', namedCurve } },
    chinaRegionsOnly: false,
  };
}

function hmac(bits: number): KeySpecDescriptor {
  return {
    name: `HMAC_${bits}`,
    usages: { GENERATE_VERIFY_MAC: { MacAlgorithms: [`HMAC_SHA_${bits}`] } },
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'secret', bytes: bits / 8 },
    chinaRegionsOnly: false,
  };
}

function mlDsa(level: 44 | 65 | 87): KeySpecDescriptor {
  return {
    name: `ML_DSA_${level}`,
    usages: { SIGN_VERIFY: { SigningAlgorithms: ['ML_DSA_SHAKE_256'] } },
    legacyCustomerMasterKeySpec: false,
    material: { kind: 'key-pair', params: { kind: 'ml-dsa', level } },
    chinaRegionsOnly: false,
  };
}

function mlKem(level: 512 | 768 | 1024): KeySpecDescriptor {
  return {
    name: `ML_KEM_${level}`,
    usages: { ENCAPSULATE_DECAPSULATE: { EncapsulationAlgorithms: ['ML_KEM'] } },
    legacyCustomerMasterKeySpec: false,
    material: { kind: 'key-pair', params: { kind: 'ml-kem', level } },
    chinaRegionsOnly: false,
  };
}

const keySpecs: readonly KeySpecDescriptor[] = [
  {
    name: 'SYMMETRIC_DEFAULT',
    usages: { ENCRYPT_DECRYPT: { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } },
    defaultUsage: 'ENCRYPT_DECRYPT',
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'secret', bytes: 32 },
    chinaRegionsOnly: false,
  },
  rsa(2048),
  rsa(3072),
  rsa(4096),
  nistCurve('ECC_NIST_P256', 'prime256v1', 'ECDSA_SHA_256'),
  nistCurve('ECC_NIST_P384', 'secp384r1', 'ECDSA_SHA_384'),
  nistCurve('ECC_NIST_P521', 'secp521r1', 'ECDSA_SHA_512'),
  {
    name: 'ECC_SECG_P256K1',
    usages: { SIGN_VERIFY: { SigningAlgorithms: ['ECDSA_SHA_256'] } },
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'key-pair', params: { kind: 'ec', namedCurve: 'secp256k1' } },
    chinaRegionsOnly: false,
  },
  {
    name: 'ECC_NIST_EDWARDS25519',
    usages: { SIGN_VERIFY: { SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] } },
    legacyCustomerMasterKeySpec: false,
    material: { kind: 'key-pair', params: { kind: 'ed25519' } },
    chinaRegionsOnly: false,
  },
  {
    name: 'SM2',
    usages: {
      ENCRYPT_DECRYPT: { EncryptionAlgorithms: ['SM2PKE'] },
      SIGN_VERIFY: { SigningAlgorithms: ['SM2DSA'] },
      KEY_AGREEMENT: { KeyAgreementAlgorithms: ['ECDH'] },
    },
    legacyCustomerMasterKeySpec: true,
    material: { kind: 'key-pair', params: { kind: 'ec', namedCurve: 'SM2' } },
    chinaRegionsOnly: true,
  },
  hmac(224),
  hmac(256),
  hmac(384),
  hmac(512),
  mlDsa(44),
  mlDsa(65),
  mlDsa(87),
  mlKem(512),
  mlKem(768),
  mlKem(1024),
];

const keySpecsByName = new Map(keySpecs.map((spec) => [spec.name, spec]));

/** The descriptor of a KeySpec that request validation has already checked against the model. */
export function keySpec(name: string): KeySpecDescriptor {
  const spec = keySpecsByName.get(name);
  if (!spec) throw new Error(`no descriptor for key spec ${name}`);
  return spec;
}

export interface DataKeyPairSpecDescriptor {
  name: string;
  params: KeyPairParams;
  chinaRegionsOnly: boolean;
  /** Pairs kept ready by default in the key-pair pool (crypto/key-pair-pool.ts). */
  defaultPoolSize: number;
  /** Relative generation cost on one core (measured by bench/key-generation.ts), for refill order. */
  cost: number;
}

const dataKeyPairSpecs: readonly DataKeyPairSpecDescriptor[] = [
  { name: 'RSA_2048', params: { kind: 'rsa', modulusLength: 2048 }, chinaRegionsOnly: false, defaultPoolSize: 32, cost: 400 },
  { name: 'RSA_3072', params: { kind: 'rsa', modulusLength: 3072 }, chinaRegionsOnly: false, defaultPoolSize: 16, cost: 1500 },
  { name: 'RSA_4096', params: { kind: 'rsa', modulusLength: 4096 }, chinaRegionsOnly: false, defaultPoolSize: 16, cost: 4000 },
  { name: 'ECC_NIST_P256', params: { kind: 'ec', namedCurve: 'prime256v1', inline: true }, chinaRegionsOnly: false, defaultPoolSize: 64, cost: 1 },
  { name: 'ECC_NIST_P384', params: { kind: 'ec', namedCurve: 'secp384r1' }, chinaRegionsOnly: false, defaultPoolSize: 64, cost: 3 },
  { name: 'ECC_NIST_P521', params: { kind: 'ec', namedCurve: 'secp521r1' }, chinaRegionsOnly: false, defaultPoolSize: 64, cost: 4 },
  { name: 'ECC_SECG_P256K1', params: { kind: 'ec', namedCurve: 'secp256k1' }, chinaRegionsOnly: false, defaultPoolSize: 64, cost: 2 },
  { name: 'SM2', params: { kind: 'ec', namedCurve: 'SM2' }, chinaRegionsOnly: true, defaultPoolSize: 16, cost: 2 },
  { name: 'ECC_NIST_EDWARDS25519', params: { kind: 'ed25519' }, chinaRegionsOnly: false, defaultPoolSize: 64, cost: 1 },
  { name: 'ML_KEM_512', params: { kind: 'ml-kem', level: 512 }, chinaRegionsOnly: false, defaultPoolSize: 32, cost: 2 },
  { name: 'ML_KEM_768', params: { kind: 'ml-kem', level: 768 }, chinaRegionsOnly: false, defaultPoolSize: 32, cost: 3 },
  { name: 'ML_KEM_1024', params: { kind: 'ml-kem', level: 1024 }, chinaRegionsOnly: false, defaultPoolSize: 32, cost: 4 },
];

const dataKeyPairSpecsByName = new Map(dataKeyPairSpecs.map((spec) => [spec.name, spec]));

export function dataKeyPairSpec(name: string): DataKeyPairSpecDescriptor {
  const spec = dataKeyPairSpecsByName.get(name);
  if (!spec) throw new Error(`no descriptor for key pair spec ${name}`);
  return spec;
}

export function allDataKeyPairSpecs(): readonly DataKeyPairSpecDescriptor[] {
  return dataKeyPairSpecs;
}
