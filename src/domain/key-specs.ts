/**
 * The descriptor tables: one entry per algorithm AWS KMS names (signing, encryption, key
 * agreement, MAC, encapsulation), and one entry per KeySpec with its kind, the usages CreateKey
 * accepts and the algorithms each usage allows, how its material is made, its region limit and,
 * for the specs GenerateDataKeyPair also takes as KeyPairSpec, how its pairs are pooled.
 *
 * Every fact that depends on an algorithm lives here. Callers look a spec or an algorithm up
 * once and use the resolved entry; no other module compares algorithm or spec names.
 * Sources: the KMS developer guide's "Key spec reference" and the botocore model's enums.
 */
import type { KeyMaterialKind, KeyPairParams } from '../crypto/asymmetric.js';
import type { Hash, SignatureScheme, SignedForm } from '../crypto/signing.js';
import { messages, UnsupportedOperationException } from '../errors.js';
import type {
  CustomerMasterKeySpec,
  DataKeyPairSpec,
  DataKeySpec,
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  SigningAlgorithmSpec,
} from '../kms-types.generated.js';
import { isChinaRegion } from './arn.js';

export type KeyUsage = KeyUsageType;

/** The family a spec belongs to; aliases may only move between keys of one family and usage. */
export type KeyKind = 'symmetric' | 'rsa' | 'ecc' | 'edwards' | 'sm2' | 'ml-dsa' | 'ml-kem' | 'hmac';

export type { Hash } from '../crypto/signing.js';

// ---- Algorithms -------------------------------------------------------------------------------

export interface SigningAlgorithm {
  name: SigningAlgorithmSpec;
  scheme: SignatureScheme;
  /** The message digest (for RSASSA-PSS also the MGF1 hash; the salt is as long as the digest). */
  hash: Hash;
  /**
   * The MessageTypes Sign and Verify accept with it, each with the length its Message must have
   * (none for RAW: 1..4096 bytes, the model's bound). AWS: DIGEST is the hash's length;
   * ED25519_SHA_512 takes RAW only and ED25519_PH_SHA_512 DIGEST only; ML_DSA_SHAKE_256 takes
   * RAW and EXTERNAL_MU (FIPS 204's 64-byte mu) but no DIGEST.
   */
  messageTypes: { RAW?: true; DIGEST?: number; EXTERNAL_MU?: number };
  /** Set for an algorithm this server cannot perform yet (why, in README.md). */
  notServed?: true;
}

export interface EncryptionAlgorithm {
  name: EncryptionAlgorithmSpec;
  scheme: 'aes-gcm' | 'rsa-oaep' | 'sm2pke';
  /** The OAEP hash (and MGF1 hash) of RSAES_OAEP_*, and its output length. */
  hash?: Hash;
  hashLength?: number;
  /** The largest plaintext it encrypts, when that does not depend on the key size. */
  maxPlaintext?: number;
  /** Set for an algorithm this server cannot perform yet (why, in README.md). */
  notServed?: true;
}

export interface MacAlgorithm {
  name: MacAlgorithmSpec;
  hash: Hash;
}

export interface KeyAgreementAlgorithm {
  name: KeyAgreementAlgorithmSpec;
}

export interface EncapsulationAlgorithm {
  name: EncapsulationAlgorithmSpec;
}

const RAW_AND_DIGEST = (digestLength: number) => ({ RAW: true, DIGEST: digestLength }) as const;

const signing = {
  RSASSA_PSS_SHA_256: { name: 'RSASSA_PSS_SHA_256', scheme: 'rsa-pss', hash: 'sha256', messageTypes: RAW_AND_DIGEST(32) },
  RSASSA_PSS_SHA_384: { name: 'RSASSA_PSS_SHA_384', scheme: 'rsa-pss', hash: 'sha384', messageTypes: RAW_AND_DIGEST(48) },
  RSASSA_PSS_SHA_512: { name: 'RSASSA_PSS_SHA_512', scheme: 'rsa-pss', hash: 'sha512', messageTypes: RAW_AND_DIGEST(64) },
  RSASSA_PKCS1_V1_5_SHA_256: { name: 'RSASSA_PKCS1_V1_5_SHA_256', scheme: 'rsa-pkcs1', hash: 'sha256', messageTypes: RAW_AND_DIGEST(32) },
  RSASSA_PKCS1_V1_5_SHA_384: { name: 'RSASSA_PKCS1_V1_5_SHA_384', scheme: 'rsa-pkcs1', hash: 'sha384', messageTypes: RAW_AND_DIGEST(48) },
  RSASSA_PKCS1_V1_5_SHA_512: { name: 'RSASSA_PKCS1_V1_5_SHA_512', scheme: 'rsa-pkcs1', hash: 'sha512', messageTypes: RAW_AND_DIGEST(64) },
  ECDSA_SHA_256: { name: 'ECDSA_SHA_256', scheme: 'ecdsa', hash: 'sha256', messageTypes: RAW_AND_DIGEST(32) },
  ECDSA_SHA_384: { name: 'ECDSA_SHA_384', scheme: 'ecdsa', hash: 'sha384', messageTypes: RAW_AND_DIGEST(48) },
  ECDSA_SHA_512: { name: 'ECDSA_SHA_512', scheme: 'ecdsa', hash: 'sha512', messageTypes: RAW_AND_DIGEST(64) },
  ED25519_SHA_512: { name: 'ED25519_SHA_512', scheme: 'ed25519', hash: 'sha512', messageTypes: { RAW: true } },
  ED25519_PH_SHA_512: { name: 'ED25519_PH_SHA_512', scheme: 'ed25519ph', hash: 'sha512', messageTypes: { DIGEST: 64 } },
  // SM3 over Z_A (AWS's default distinguishing id 1234567812345678) and the message; a DIGEST is
  // that SM3 value, computed by the caller (KMS Developer Guide, "Offline verification with SM2").
  SM2DSA: { name: 'SM2DSA', scheme: 'sm2', hash: 'sm3', messageTypes: RAW_AND_DIGEST(32) },
  ML_DSA_SHAKE_256: { name: 'ML_DSA_SHAKE_256', scheme: 'ml-dsa', hash: 'shake256', messageTypes: { RAW: true, EXTERNAL_MU: 64 } },
} as const satisfies { [N in SigningAlgorithmSpec]: SigningAlgorithm & { name: N } };

const encryption = {
  SYMMETRIC_DEFAULT: { name: 'SYMMETRIC_DEFAULT', scheme: 'aes-gcm' },
  RSAES_OAEP_SHA_1: { name: 'RSAES_OAEP_SHA_1', scheme: 'rsa-oaep', hash: 'sha1', hashLength: 20 },
  RSAES_OAEP_SHA_256: { name: 'RSAES_OAEP_SHA_256', scheme: 'rsa-oaep', hash: 'sha256', hashLength: 32 },
  // AWS's Encrypt reference: "SM2PKE: 1024 bytes (China Regions only)".
  SM2PKE: { name: 'SM2PKE', scheme: 'sm2pke', maxPlaintext: 1024 },
} as const satisfies { [N in EncryptionAlgorithmSpec]: EncryptionAlgorithm & { name: N } };

const mac = {
  HMAC_SHA_224: { name: 'HMAC_SHA_224', hash: 'sha224' },
  HMAC_SHA_256: { name: 'HMAC_SHA_256', hash: 'sha256' },
  HMAC_SHA_384: { name: 'HMAC_SHA_384', hash: 'sha384' },
  HMAC_SHA_512: { name: 'HMAC_SHA_512', hash: 'sha512' },
} as const satisfies { [N in MacAlgorithmSpec]: MacAlgorithm & { name: N } };

const ECDH: KeyAgreementAlgorithm = { name: 'ECDH' };
const ML_KEM: EncapsulationAlgorithm = { name: 'ML_KEM' };

/** The algorithms a key of some spec may use under one usage. */
export interface UsageAlgorithms {
  encryption?: readonly EncryptionAlgorithm[];
  signing?: readonly SigningAlgorithm[];
  mac?: readonly MacAlgorithm[];
  keyAgreement?: readonly KeyAgreementAlgorithm[];
  encapsulation?: readonly EncapsulationAlgorithm[];
}

// ---- Key specs --------------------------------------------------------------------------------

/** How the key-pair pool keeps pairs of a spec that is also a DataKeyPairSpec. */
export interface DataKeyPairTraits {
  /** Generation parameters for data key pairs (P-256 pairs are made inline: bench/key-generation.ts). */
  params: KeyPairParams;
  /** Pairs kept ready by default in the key-pair pool (crypto/key-pair-pool.ts). */
  defaultPoolSize: number;
  /** Relative generation cost on one core (bench/key-generation.ts), for refill order. */
  cost: number;
  /**
   * Pairs the durable reserve (domain/key-pair-reserve.ts) keeps at most by default; its floor
   * defaults to a quarter of that. Absent: no reserve by default (the spec is cheap enough to
   * generate in each process's memory pool).
   */
  defaultReserve?: number;
}

export interface KeySpecDescriptor {
  name: KeySpec;
  kind: KeyKind;
  /** Usages CreateKey accepts, each with the algorithms it allows. */
  usages: Partial<Record<KeyUsage, UsageAlgorithms>>;
  /** The usage CreateKey assumes when none is given; only SYMMETRIC_DEFAULT has one. */
  defaultUsage?: KeyUsage;
  /** The deprecated CustomerMasterKeySpec DescribeKey still shows, for the specs that had one. */
  customerMasterKeySpec?: CustomerMasterKeySpec;
  /** How CreateKey makes the key's own material. */
  material: KeyMaterialKind;
  /** AWS offers the spec only in China Regions (cn-*). */
  chinaRegionsOnly: boolean;
  /** Present for the specs that are also data key pair specs. */
  dataKeyPair?: DataKeyPairTraits;
}

const RSA_SIGNING = [
  signing.RSASSA_PSS_SHA_256, signing.RSASSA_PSS_SHA_384, signing.RSASSA_PSS_SHA_512,
  signing.RSASSA_PKCS1_V1_5_SHA_256, signing.RSASSA_PKCS1_V1_5_SHA_384, signing.RSASSA_PKCS1_V1_5_SHA_512,
];

function rsa(bits: 2048 | 3072 | 4096, pool: { size: number; cost: number; reserve: number }): KeySpecDescriptor {
  const params: KeyPairParams = { kind: 'rsa', modulusLength: bits };
  return {
    name: `RSA_${bits}`,
    kind: 'rsa',
    customerMasterKeySpec: `RSA_${bits}`,
    usages: {
      ENCRYPT_DECRYPT: { encryption: [encryption.RSAES_OAEP_SHA_1, encryption.RSAES_OAEP_SHA_256] },
      SIGN_VERIFY: { signing: RSA_SIGNING },
    },
    material: { kind: 'key-pair', params },
    chinaRegionsOnly: false,
    dataKeyPair: { params, defaultPoolSize: pool.size, cost: pool.cost, defaultReserve: pool.reserve },
  };
}

type Curve = 'prime256v1' | 'secp384r1' | 'secp521r1' | 'secp256k1';

function ecc(name: KeySpec & CustomerMasterKeySpec, namedCurve: Curve, ecdsa: SigningAlgorithm, keyAgreement: boolean, cost: number): KeySpecDescriptor {
  const params: KeyPairParams = { kind: 'ec', namedCurve };
  return {
    name,
    kind: 'ecc',
    customerMasterKeySpec: name,
    usages: { SIGN_VERIFY: { signing: [ecdsa] }, ...(keyAgreement && { KEY_AGREEMENT: { keyAgreement: [ECDH] } }) },
    material: { kind: 'key-pair', params },
    chinaRegionsOnly: false,
    // P-256 pairs cost microseconds through createECDH, cheaper inline than a thread-pool trip.
    dataKeyPair: { params: namedCurve === 'prime256v1' ? { ...params, inline: true } : params, defaultPoolSize: 64, cost },
  };
}

function hmac(bits: 224 | 256 | 384 | 512): KeySpecDescriptor {
  return {
    name: `HMAC_${bits}`,
    kind: 'hmac',
    customerMasterKeySpec: `HMAC_${bits}`,
    usages: { GENERATE_VERIFY_MAC: { mac: [mac[`HMAC_SHA_${bits}`]] } },
    material: { kind: 'secret', bytes: bits / 8 },
    chinaRegionsOnly: false,
  };
}

function mlDsa(level: 44 | 65 | 87): KeySpecDescriptor {
  return {
    name: `ML_DSA_${level}`,
    kind: 'ml-dsa',
    usages: { SIGN_VERIFY: { signing: [signing.ML_DSA_SHAKE_256] } },
    material: { kind: 'key-pair', params: { kind: 'ml-dsa', level } },
    chinaRegionsOnly: false,
  };
}

function mlKem(level: 512 | 768 | 1024, cost: number): KeySpecDescriptor {
  const params: KeyPairParams = { kind: 'ml-kem', level };
  return {
    name: `ML_KEM_${level}`,
    kind: 'ml-kem',
    usages: { ENCAPSULATE_DECAPSULATE: { encapsulation: [ML_KEM] } },
    material: { kind: 'key-pair', params },
    chinaRegionsOnly: false,
    dataKeyPair: { params, defaultPoolSize: 32, cost },
  };
}

const ed25519: KeyPairParams = { kind: 'ed25519' };
const sm2: KeyPairParams = { kind: 'ec', namedCurve: 'SM2' };

const keySpecs: readonly KeySpecDescriptor[] = [
  {
    name: 'SYMMETRIC_DEFAULT',
    kind: 'symmetric',
    customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    usages: { ENCRYPT_DECRYPT: { encryption: [encryption.SYMMETRIC_DEFAULT] } },
    defaultUsage: 'ENCRYPT_DECRYPT',
    material: { kind: 'secret', bytes: 32 },
    chinaRegionsOnly: false,
  },
  // Pool sizes and costs: RSA generation costs seconds (bench/key-generation.ts), so fewer are
  // kept and they are refilled last. Every RSA spec has a durable reserve by default, so its
  // pairs survive restarts and are generated once per server, not once per worker.
  rsa(2048, { size: 32, cost: 400, reserve: 128 }),
  rsa(3072, { size: 16, cost: 1500, reserve: 32 }),
  rsa(4096, { size: 16, cost: 4000, reserve: 32 }),
  ecc('ECC_NIST_P256', 'prime256v1', signing.ECDSA_SHA_256, true, 1),
  ecc('ECC_NIST_P384', 'secp384r1', signing.ECDSA_SHA_384, true, 3),
  ecc('ECC_NIST_P521', 'secp521r1', signing.ECDSA_SHA_512, true, 4),
  ecc('ECC_SECG_P256K1', 'secp256k1', signing.ECDSA_SHA_256, false, 2),
  {
    name: 'ECC_NIST_EDWARDS25519',
    kind: 'edwards',
    usages: { SIGN_VERIFY: { signing: [signing.ED25519_SHA_512, signing.ED25519_PH_SHA_512] } },
    material: { kind: 'key-pair', params: ed25519 },
    chinaRegionsOnly: false,
    dataKeyPair: { params: ed25519, defaultPoolSize: 64, cost: 1 },
  },
  {
    name: 'SM2',
    kind: 'sm2',
    customerMasterKeySpec: 'SM2',
    usages: {
      ENCRYPT_DECRYPT: { encryption: [encryption.SM2PKE] },
      SIGN_VERIFY: { signing: [signing.SM2DSA] },
      KEY_AGREEMENT: { keyAgreement: [ECDH] },
    },
    material: { kind: 'key-pair', params: sm2 },
    chinaRegionsOnly: true,
    dataKeyPair: { params: sm2, defaultPoolSize: 16, cost: 2 },
  },
  hmac(224),
  hmac(256),
  hmac(384),
  hmac(512),
  mlDsa(44),
  mlDsa(65),
  mlDsa(87),
  mlKem(512, 2),
  mlKem(768, 3),
  mlKem(1024, 4),
];

const keySpecsByName = new Map<string, KeySpecDescriptor>(keySpecs.map((spec) => [spec.name, spec]));

/** The KeySpec CreateKey uses when a request names none (a symmetric encryption key). */
export const DEFAULT_KEY_SPEC: KeySpec = 'SYMMETRIC_DEFAULT';

/** The descriptor of a KeySpec (request validation has checked the name against the model). */
export function keySpec(name: KeySpec): KeySpecDescriptor {
  const spec = keySpecsByName.get(name);
  if (!spec) throw new Error(`no descriptor for key spec ${name}`);
  return spec;
}

/** A data key pair spec: a key spec with data key pair traits. */
export interface DataKeyPairSpecDescriptor extends DataKeyPairTraits {
  name: DataKeyPairSpec;
  chinaRegionsOnly: boolean;
}

const dataKeyPairSpecs: readonly DataKeyPairSpecDescriptor[] = keySpecs.flatMap((spec) =>
  spec.dataKeyPair ? [{ name: spec.name as DataKeyPairSpec, chinaRegionsOnly: spec.chinaRegionsOnly, ...spec.dataKeyPair }] : [],
);
const dataKeyPairSpecsByName = new Map<string, DataKeyPairSpecDescriptor>(dataKeyPairSpecs.map((spec) => [spec.name, spec]));

export function dataKeyPairSpec(name: DataKeyPairSpec): DataKeyPairSpecDescriptor {
  const spec = dataKeyPairSpecsByName.get(name);
  if (!spec) throw new Error(`no descriptor for key pair spec ${name}`);
  return spec;
}

export function allDataKeyPairSpecs(): readonly DataKeyPairSpecDescriptor[] {
  return dataKeyPairSpecs;
}

/** AWS serves SM2 only in China Regions; a self-hosted server may allow it everywhere. */
export function assertServedInRegion(spec: { chinaRegionsOnly: boolean }, region: string, allowSm2Everywhere: boolean): void {
  if (spec.chinaRegionsOnly && !isChinaRegion(region) && !allowSm2Everywhere) {
    throw new UnsupportedOperationException(messages.sm2OutsideChina);
  }
}

/** GenerateDataKey's KeySpec: the length in bytes of the data key. */
const dataKeyBytes: Record<DataKeySpec, number> = { AES_128: 16, AES_256: 32 };

export function dataKeyLength(name: DataKeySpec): number {
  return dataKeyBytes[name];
}

// ---- Questions callers ask of a spec ----------------------------------------------------------

/** The algorithms a key of `spec` may use under `usage` (none when the usage is not allowed). */
export function algorithmsFor(spec: KeySpecDescriptor, usage: KeyUsage): UsageAlgorithms {
  return spec.usages[usage] ?? {};
}

/** The algorithm lists DescribeKey and GetPublicKey show for a key of `spec` and `usage`. */
export function algorithmLists(spec: KeySpecDescriptor, usage: KeyUsage): {
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  MacAlgorithms?: MacAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
  EncapsulationAlgorithms?: EncapsulationAlgorithmSpec[];
} {
  const a = algorithmsFor(spec, usage);
  const names = <T extends { name: string }>(list: readonly T[]): T['name'][] => list.map((x) => x.name);
  return {
    ...(a.encryption && { EncryptionAlgorithms: names(a.encryption) }),
    ...(a.signing && { SigningAlgorithms: names(a.signing) }),
    ...(a.mac && { MacAlgorithms: names(a.mac) }),
    ...(a.keyAgreement && { KeyAgreementAlgorithms: names(a.keyAgreement) }),
    ...(a.encapsulation && { EncapsulationAlgorithms: names(a.encapsulation) }),
  };
}

/** The encryption algorithm `name` if a key of `spec` and `usage` may use it. */
export function encryptionAlgorithm(spec: KeySpecDescriptor, usage: KeyUsage, name: EncryptionAlgorithmSpec): EncryptionAlgorithm | undefined {
  return algorithmsFor(spec, usage).encryption?.find((a) => a.name === name);
}

/** The one encryption algorithm symmetric keys use: AES-256-GCM in Trent's envelope. */
export const SYMMETRIC_ENCRYPTION: EncryptionAlgorithm = encryption.SYMMETRIC_DEFAULT;

/** The family aliases are grouped by: UpdateAlias may not move an alias across families. */
export function keyFamily(spec: KeySpecDescriptor): 'symmetric' | 'asymmetric' | 'hmac' {
  return spec.kind === 'symmetric' ? 'symmetric' : spec.kind === 'hmac' ? 'hmac' : 'asymmetric';
}

/** The signing algorithm `name` if a key of `spec` and `usage` may use it; likewise for the others. */
export function signingAlgorithm(spec: KeySpecDescriptor, usage: KeyUsage, name: SigningAlgorithmSpec): SigningAlgorithm | undefined {
  return algorithmsFor(spec, usage).signing?.find((a) => a.name === name);
}

export function macAlgorithm(spec: KeySpecDescriptor, usage: KeyUsage, name: MacAlgorithmSpec): MacAlgorithm | undefined {
  return algorithmsFor(spec, usage).mac?.find((a) => a.name === name);
}

export function keyAgreementAlgorithm(spec: KeySpecDescriptor, usage: KeyUsage, name: KeyAgreementAlgorithmSpec): KeyAgreementAlgorithm | undefined {
  return algorithmsFor(spec, usage).keyAgreement?.find((a) => a.name === name);
}

export function encapsulationAlgorithm(spec: KeySpecDescriptor, usage: KeyUsage, name: EncapsulationAlgorithmSpec): EncapsulationAlgorithm | undefined {
  return algorithmsFor(spec, usage).encapsulation?.find((a) => a.name === name);
}

const SIGNED_FORMS: Record<MessageType, SignedForm> = { RAW: 'message', DIGEST: 'digest', EXTERNAL_MU: 'mu' };

/**
 * What a Sign or Verify Message is under `algorithm` and `messageType`: its form and the length
 * it must have (none for RAW), or undefined when the algorithm does not take that message type.
 */
export function signedInput(algorithm: SigningAlgorithm, messageType: MessageType): { form: SignedForm; length?: number } | undefined {
  const allowed = algorithm.messageTypes[messageType];
  if (allowed === undefined) return undefined;
  return { form: SIGNED_FORMS[messageType], ...(typeof allowed === 'number' && { length: allowed }) };
}

/** The key pair parameters of an asymmetric spec (undefined for symmetric and HMAC specs). */
export function keyPairParams(spec: KeySpecDescriptor): KeyPairParams | undefined {
  return spec.material.kind === 'key-pair' ? spec.material.params : undefined;
}

/**
 * The largest plaintext `algorithm` encrypts under a key of `spec`, where the algorithm has a
 * limit below Encrypt's 4096 bytes: RSAES-OAEP takes k - 2 hLen - 2 bytes (RFC 8017 §7.1.1), as
 * AWS's recorded limits (214 / 190 bytes for RSA_2048 with SHA-1 / SHA-256) are; SM2PKE takes
 * 1024 bytes, as AWS documents.
 */
export function maxPlaintextLength(spec: KeySpecDescriptor, algorithm: EncryptionAlgorithm): number | undefined {
  if (algorithm.maxPlaintext !== undefined) return algorithm.maxPlaintext;
  const params = keyPairParams(spec);
  if (algorithm.scheme !== 'rsa-oaep' || params?.kind !== 'rsa' || algorithm.hashLength === undefined) return undefined;
  return params.modulusLength / 8 - 2 * algorithm.hashLength - 2;
}
