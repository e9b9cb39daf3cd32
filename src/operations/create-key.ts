/**
 * CreateKey: a KMS key of any KeySpec (symmetric, RSA, ECC, HMAC, SM2, ML-DSA, ML-KEM) with
 * AWS's KeyUsage rules, Description, Tags and Policy; Origin EXTERNAL creates a key without
 * material in state PendingImport. Material is generated here and stored wrapped by the root key.
 */
import { generateKeyPair } from '../crypto/asymmetric.js';
import { randomId, secretBytes } from '../crypto/random.js';
import { isChinaRegion } from '../domain/arn.js';
import { defaultKeyPolicy, keyMetadata } from '../domain/key.js';
import { keySpec, type KeyUsage } from '../domain/key-specs.js';
import { checkNewTags } from '../domain/tags.js';
import {
  MalformedPolicyDocumentException,
  messages,
  UnsupportedOperationException,
  ValidationException,
} from '../errors.js';
import type { KeyMaterialRecord, KeyRecord, Tag } from '../storage/types.js';
import { defineOperation } from './context.js';

interface CreateKeyInput {
  Policy?: string;
  Description?: string;
  KeyUsage?: string;
  CustomerMasterKeySpec?: string;
  KeySpec?: string;
  Origin?: string;
  CustomKeyStoreId?: string;
  BypassPolicyLockoutSafetyCheck?: boolean;
  Tags?: Tag[];
  MultiRegion?: boolean;
  XksKeyId?: string;
}

function checkPolicy(policy: string): void {
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw new MalformedPolicyDocumentException('The key policy is not valid JSON.');
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new MalformedPolicyDocumentException('The key policy must be a JSON object.');
  }
}

export const createKeyOperation = defineOperation<CreateKeyInput>('CreateKey', async (input, ctx) => {
  if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
    throw new ValidationException(
      'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
    );
  }
  const spec = keySpec(input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT');
  const usage = (input.KeyUsage ?? spec.defaultUsage) as KeyUsage | undefined;
  if (usage === undefined) {
    throw new ValidationException('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  }
  if (spec.usages[usage] === undefined) throw new ValidationException(messages.incompatibleUsage(usage, spec.name));
  if (spec.chinaRegionsOnly && !isChinaRegion(ctx.scope.region) && !ctx.services.config.allowSm2Everywhere) {
    throw new UnsupportedOperationException(messages.sm2OutsideChina);
  }
  const origin = input.Origin ?? 'AWS_KMS';
  if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE' || input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined) {
    throw new UnsupportedOperationException('Custom key stores are not supported by this Trent server.');
  }
  if (input.MultiRegion === true) {
    throw new UnsupportedOperationException('Multi-Region keys are not supported by this Trent server.');
  }
  if (input.Policy !== undefined) checkPolicy(input.Policy);
  const tags = checkNewTags(input.Tags ?? []);

  const now = ctx.services.clock.now();
  const keyId = randomId();
  const key: KeyRecord = {
    ...ctx.scope,
    keyId,
    createdAt: now,
    description: input.Description ?? '',
    keySpec: spec.name,
    keyUsage: usage,
    origin: origin === 'EXTERNAL' ? 'EXTERNAL' : 'AWS_KMS',
    state: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled',
    policy: input.Policy ?? defaultKeyPolicy(ctx.scope.account),
    tags,
    currentMaterialVersion: origin === 'EXTERNAL' ? 0 : 1,
    revision: 1,
  };
  let material: KeyMaterialRecord | undefined;
  if (origin !== 'EXTERNAL') {
    let secret: Buffer;
    if (spec.material.kind === 'secret') {
      secret = secretBytes(spec.material.bytes);
    } else {
      const pair = await generateKeyPair(spec.material.params);
      key.publicKey = pair.publicKey;
      secret = pair.privateKey;
    }
    material = ctx.services.materials.wrap(keyId, 1, secret, now);
    secret.fill(0);
  }
  await ctx.services.store.createKey(key, material);
  const showMaterialId = material !== undefined && spec.name === 'SYMMETRIC_DEFAULT';
  return { KeyMetadata: keyMetadata(key, showMaterialId ? material?.materialId : undefined) };
});
