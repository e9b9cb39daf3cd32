/**
 * ReplicateKey: a replica of a multi-Region primary key in another Region of the same partition
 * (domain/multi-region.ts). The replica is a new record with the primary's key id and shared
 * properties (key spec, usage, origin, public key, rotation schedule, every material version
 * byte for byte) and its own description, policy and tags, made in one store transaction with
 * its material. A replica of a key with imported material is created PendingImport with the
 * primary's material records but none of their secret: each Region imports the same material
 * itself, and different material is IncorrectKeyMaterialException (domain/key-import.ts).
 *
 * Authorization, as AWS documents it: kms:ReplicateKey on the primary key (kms:ReplicaRegion is
 * the requested Region), kms:CreateKey in the replica Region (an identity policy), and with Tags
 * kms:TagResource on the replica being created. The request's Region is the primary's; the
 * replica's ARN names ReplicaRegion.
 */
import { arnOf, keyArn, partitionOf } from '../domain/arn.js';
import { keyMetadata } from '../domain/key.js';
import { checkNewKeyPolicy, defaultKeyPolicy } from '../domain/key-policy.js';
import { assertServedInRegion, keySpec } from '../domain/key-specs.js';
import { assertPrimary } from '../domain/multi-region.js';
import { checkNewTags } from '../domain/tags.js';
import {
  AlreadyExistsException,
  KMSInvalidStateException,
  messages,
  NotFoundException,
  UnsupportedOperationException,
  ValidationException,
} from '../errors.js';
import type { ReplicateKeyRequest } from '../kms-types.generated.js';
import type { KeyMaterialRecord, KeyRecord, Scope } from '../storage/types.js';
import { defineOperation, type RequestContext } from './context.js';
import { requestFacts, useKey } from './core/keys.js';

/** How many material versions a replica copies; far above what rotation limits allow in practice. */
const MATERIAL_VERSION_SCAN = 10_000;

/**
 * The primary must be Enabled or Disabled: a key scheduled for deletion "cannot be replicated"
 * (AWS), and a primary with imported material must hold it, so its replicas have material to match.
 */
function assertReplicable(key: KeyRecord): void {
  switch (key.state) {
    case 'Enabled':
    case 'Disabled':
      return;
    case 'PendingDeletion':
      throw new KMSInvalidStateException(messages.pendingDeletion(arnOf(key)));
    case 'PendingReplicaDeletion':
      throw new KMSInvalidStateException(messages.pendingReplicaDeletion(arnOf(key)));
    case 'PendingImport':
      throw new KMSInvalidStateException(messages.pendingImport(arnOf(key)));
    default:
      throw new KMSInvalidStateException(messages.invalidState(arnOf(key), key.state));
  }
}

/** The replica's record: the primary's shared properties, the request's own ones. */
function replicaRecord(primary: KeyRecord, region: string, input: ReplicateKeyRequest, now: number): KeyRecord {
  const external = primary.origin === 'EXTERNAL';
  const replica: KeyRecord = {
    account: primary.account,
    region,
    keyId: primary.keyId,
    createdAt: now,
    description: input.Description ?? '',
    keySpec: primary.keySpec,
    keyUsage: primary.keyUsage,
    origin: primary.origin,
    state: external ? 'PendingImport' : 'Enabled',
    policy: input.Policy ?? defaultKeyPolicy(primary.account),
    tags: checkNewTags(input.Tags ?? []),
    currentMaterialVersion: primary.currentMaterialVersion,
    primaryRegion: primary.region,
    revision: 1,
  };
  if (primary.publicKey !== undefined) replica.publicKey = primary.publicKey;
  if (primary.rotationPeriodInDays !== undefined && primary.nextRotationDate !== undefined) {
    replica.rotationPeriodInDays = primary.rotationPeriodInDays;
    replica.nextRotationDate = primary.nextRotationDate;
  }
  return replica;
}

/**
 * A material version as the replica holds it: the same bytes in the replica's Region, or for
 * imported material the record without its secret (PENDING_IMPORT), kept for its KeyMaterialId.
 */
function replicaMaterial(material: KeyMaterialRecord, region: string, external: boolean): KeyMaterialRecord {
  const copy: KeyMaterialRecord = { ...material, region, wrapped: Buffer.from(material.wrapped) };
  if (external && material.importState !== undefined) {
    copy.wrapped = Buffer.alloc(0);
    copy.importState = 'PENDING_IMPORT';
  }
  return copy;
}

/** Checks the Region asked for against the primary's, before anything is authorized in it. */
function checkReplicaRegion(primary: KeyRecord, region: string): void {
  if (region === primary.region) throw new ValidationException(messages.replicaRegionIsPrimary(region));
  const partition = partitionOf(primary.region);
  if (partitionOf(region) !== partition) throw new UnsupportedOperationException(messages.replicaOtherPartition(region, partition));
}

/** kms:CreateKey in the replica Region and, with Tags, kms:TagResource on the replica to be. */
async function authorizeInReplicaRegion(ctx: RequestContext, replica: KeyRecord, input: ReplicateKeyRequest): Promise<void> {
  const scope: Scope = { account: replica.account, region: replica.region };
  const caller = { ...ctx, scope };
  const { access } = ctx.services;
  await access.authorize(caller, 'kms:CreateKey', { type: 'account', arn: '*', ...scope }, {
    ...requestFacts(ctx),
    keySpec: replica.keySpec,
    keyUsage: replica.keyUsage,
    keyOrigin: replica.origin,
    multiRegion: true,
    multiRegionKeyType: 'REPLICA',
    ...(input.Tags && { requestTags: input.Tags }),
    ...(input.BypassPolicyLockoutSafetyCheck !== undefined && { bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck }),
  });
  if (input.Tags !== undefined && input.Tags.length > 0) {
    await access.authorize(caller, 'kms:TagResource', { type: 'key', arn: arnOf(replica), ...scope, key: replica }, {
      ...requestFacts(ctx),
      requestTags: input.Tags,
    });
  }
  if (input.Policy !== undefined) {
    const bypassLockoutCheck = input.BypassPolicyLockoutSafetyCheck === true;
    await checkNewKeyPolicy(access, caller, replica, { text: input.Policy, bypassLockoutCheck }, access.principalExists);
  }
}

export const replicateKeyOperation = defineOperation(
  'ReplicateKey',
  { readOnly: false, resources: ['key'] },
  async (input, ctx) => {
    const region = input.ReplicaRegion;
    const named = await useKey(ctx, input.KeyId, { allowAlias: false, facts: { replicaRegion: region } });
    assertPrimary(named);
    checkReplicaRegion(named, region);
    assertReplicable(named);
    assertServedInRegion(keySpec(named.keySpec), region, ctx.services.config.allowSm2Everywhere);
    const now = ctx.services.clock.now();
    await authorizeInReplicaRegion(ctx, replicaRecord(named, region, input, now), input);

    const { store } = ctx.services;
    const made = await store.transaction(async (tx) => {
      // Read again inside the transaction: the primary may have changed (rotated, been
      // scheduled for deletion, stopped being the primary) since it was authorized.
      const primary = await tx.getKey(named, named.keyId);
      if (!primary) throw new NotFoundException(`Key '${arnOf(named)}' does not exist`);
      assertPrimary(primary);
      assertReplicable(primary);
      const replicaScope = { account: primary.account, region };
      if (await tx.getKey(replicaScope, primary.keyId)) {
        throw new AlreadyExistsException(messages.replicaExists(keyArn(replicaScope, primary.keyId)));
      }
      const replica = replicaRecord(primary, region, input, now);
      const external = primary.origin === 'EXTERNAL';
      const versions = await tx.listMaterials(primary, { limit: MATERIAL_VERSION_SCAN });
      await tx.createKey(replica);
      for (const version of versions) {
        if (!(await tx.putMaterial(replicaMaterial(version, region, external)))) {
          throw new Error(`replica ${primary.keyId} in ${region} vanished inside its transaction`);
        }
      }
      const current = versions.find((m) => m.version === replica.currentMaterialVersion);
      return { replica, materialId: current?.materialId, records: await tx.keyRegions(primary.account, primary.keyId) };
    });
    return {
      ReplicaKeyMetadata: keyMetadata(made.replica, made.materialId, made.records),
      ReplicaPolicy: made.replica.policy,
      ReplicaTags: made.replica.tags,
    };
  },
);
