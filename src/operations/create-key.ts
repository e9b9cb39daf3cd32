/**
 * CreateKey: a KMS key of any KeySpec (symmetric, RSA, ECC, HMAC, SM2, ML-DSA, ML-KEM) with
 * AWS's KeyUsage rules, Description, Tags and Policy; Origin EXTERNAL creates a key without
 * material in state PendingImport; MultiRegion creates the primary key of a multi-Region key
 * (id `mrk-...`; domain/multi-region.ts). Material is generated here and stored wrapped by the root key.
 */
import { randomId, randomMultiRegionKeyId, secretBytes } from '../crypto/random.js';
import { keyMetadata } from '../domain/key.js';
import { checkNewKeyPolicy, defaultKeyPolicy } from '../domain/key-policy.js';
import { assertServedInRegion, DEFAULT_KEY_SPEC, keySpec } from '../domain/key-specs.js';
import { checkNewTags } from '../domain/tags.js';
import { messages, UnsupportedOperationException, ValidationException } from '../errors.js';
import type { CreateKeyRequest, CreateKeyResponse } from '../kms-types.generated.js';
import type { KeyMaterialRecord, KeyRecord } from '../storage/types.js';
import { defineOperation, type RequestContext } from './context.js';

/** The KeySpec a CreateKey request asks for (CustomerMasterKeySpec is its deprecated name). */
function requestedSpec(input: CreateKeyRequest) {
  return keySpec(input.KeySpec ?? input.CustomerMasterKeySpec ?? DEFAULT_KEY_SPEC);
}

/**
 * What a seed file (server/seed.ts) may fix of a key that CreateKey otherwise chooses itself: its
 * id (`mrk-...` for a multi-Region key), and (development only) the 32 bytes of a symmetric key's material.
 */
export interface FixedKeyChoices {
  keyId?: string;
  symmetricMaterial?: Buffer;
}

export async function createKey(input: CreateKeyRequest, ctx: RequestContext, fixed: FixedKeyChoices = {}): Promise<CreateKeyResponse> {
  if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
    throw new ValidationException(
      'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
    );
  }
  const spec = requestedSpec(input);
  const usage = input.KeyUsage ?? spec.defaultUsage;
  if (usage === undefined) {
    throw new ValidationException('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  }
  if (spec.usages[usage] === undefined) throw new ValidationException(messages.incompatibleUsage(usage, spec.name));
  assertServedInRegion(spec, ctx.scope.region, ctx.services.config.allowSm2Everywhere);
  const origin = input.Origin ?? 'AWS_KMS';
  if (origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE' || input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined) {
    throw new UnsupportedOperationException('Custom key stores are not supported by this Trent server.');
  }
  const tags = checkNewTags(input.Tags ?? []);

  const now = ctx.services.clock.now();
  const multiRegion = input.MultiRegion === true;
  // A seed's fixed id has the form of the key it makes: mrk-... for a multi-Region key, a UUID otherwise.
  if (fixed.keyId !== undefined && fixed.keyId.startsWith('mrk-') !== multiRegion) {
    throw new Error(`fixed key id ${fixed.keyId} does not fit ${multiRegion ? 'a multi-Region' : 'a single-Region'} key`);
  }
  const keyId = fixed.keyId ?? (multiRegion ? randomMultiRegionKeyId() : randomId());
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
  // A multi-Region key is created as the primary of its set (domain/multi-region.ts).
  if (multiRegion) key.primaryRegion = ctx.scope.region;
  if (input.Policy !== undefined) {
    const { access } = ctx.services;
    const bypassLockoutCheck = input.BypassPolicyLockoutSafetyCheck === true;
    await checkNewKeyPolicy(access, ctx, key, { text: input.Policy, bypassLockoutCheck }, access.principalExists);
  }
  let material: KeyMaterialRecord | undefined;
  if (origin !== 'EXTERNAL') {
    let secret: Buffer;
    const given = fixed.symmetricMaterial;
    if (given !== undefined && (spec.kind !== 'symmetric' || spec.material.kind !== 'secret' || given.length !== spec.material.bytes)) {
      throw new ValidationException('Fixed key material must be 32 bytes, for a SYMMETRIC_DEFAULT key only.');
    }
    if (spec.material.kind === 'secret') {
      secret = given !== undefined ? Buffer.from(given) : secretBytes(spec.material.bytes);
    } else {
      const pair = await ctx.services.keyPairs.fresh(spec.material.params); // RSA on threads of its own
      key.publicKey = pair.publicKey;
      secret = pair.privateKey;
    }
    material = ctx.services.materials.wrap(key, 1, secret, now);
    secret.fill(0);
  }
  await ctx.services.store.createKey(key, material);
  return { KeyMetadata: keyMetadata(key, material?.materialId) };
}

export const createKeyOperation = defineOperation(
  'CreateKey',
  {
    readOnly: false,
    resources: [],
    facts: (input) => {
      const spec = requestedSpec(input);
      const usage = input.KeyUsage ?? spec.defaultUsage;
      return {
      keySpec: spec.name,
      keyOrigin: input.Origin ?? 'AWS_KMS',
      multiRegion: input.MultiRegion === true,
      ...(input.MultiRegion === true && { multiRegionKeyType: 'PRIMARY' as const }),
      ...(usage !== undefined && { keyUsage: usage }),
      ...(input.Tags && { requestTags: input.Tags }),
      ...(input.BypassPolicyLockoutSafetyCheck !== undefined && { bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck }),
    };
    },
  },
  (input, ctx) => createKey(input, ctx),
);
