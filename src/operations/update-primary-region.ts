/**
 * UpdatePrimaryRegion: the replica in PrimaryRegion becomes the primary key of its multi-Region
 * key and the former primary a replica (domain/multi-region.ts). Both must be Enabled, as AWS
 * says (DisabledException, or KMSInvalidStateException for the other states). Every regional record is
 * rewritten in one store transaction, so no reader ever sees two primaries or none; nothing
 * else changes (the key material, rotation schedule, and each record's own properties stay).
 *
 * Authorization, as AWS documents it: kms:UpdatePrimaryRegion on the current primary (the
 * request's KeyId, in the request's Region; kms:PrimaryRegion is the requested Region) and on the
 * replica in PrimaryRegion.
 */
import type { AccessFacts } from '../domain/access.js';
import { arnOf, keyArn } from '../domain/arn.js';
import { assertUsable } from '../domain/key-state.js';
import { assertPrimary, updateAll } from '../domain/multi-region.js';
import { messages, NotFoundException, ValidationException } from '../errors.js';
import type { KeyRecord } from '../storage/types.js';
import { defineOperation } from './context.js';
import { requestFacts, useKey } from './core/keys.js';

function missingReplica(key: KeyRecord, region: string): NotFoundException {
  return new NotFoundException(`Key '${keyArn({ account: key.account, region }, key.keyId)}' does not exist`);
}

export const updatePrimaryRegionOperation = defineOperation(
  'UpdatePrimaryRegion',
  { readOnly: false, resources: ['key'] },
  async (input, ctx) => {
    const region = input.PrimaryRegion;
    const facts: AccessFacts = { primaryRegion: region };
    const named = await useKey(ctx, input.KeyId, { allowAlias: false, facts });
    assertPrimary(named);
    if (region === named.region) throw new ValidationException(messages.alreadyPrimaryRegion(region));
    const { store, access } = ctx.services;
    const target = await store.getKey({ account: named.account, region }, named.keyId);
    if (!target) throw missingReplica(named, region);
    await access.authorize(
      { ...ctx, scope: { account: named.account, region } },
      'kms:UpdatePrimaryRegion',
      { type: 'key', arn: arnOf(target), account: target.account, region, key: target },
      { ...requestFacts(ctx), ...facts },
    );
    await store.transaction(async (tx) => {
      // Read again inside the transaction: the set may have changed since it was authorized.
      const records = await tx.keyRegions(named.account, named.keyId);
      const primary = records.find((r) => r.region === named.region);
      if (!primary) throw new NotFoundException(`Key '${arnOf(named)}' does not exist`);
      assertPrimary(primary);
      const replica = records.find((r) => r.region === region);
      if (!replica) throw missingReplica(named, region);
      // AWS: "Both the primary key and the replica key must be in the Enabled key state".
      assertUsable(primary);
      assertUsable(replica);
      await updateAll(tx, records, (record) => ({ ...record, primaryRegion: region }));
    });
    return {};
  },
);
