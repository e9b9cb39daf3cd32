/**
 * GetKeyLastUsage (API of 2026-04): the last successful cryptographic operation with a key
 * (key id or key ARN only, as AWS: no alias), its time, request id (KmsRequestId) and the eventID
 * of its audit record (CloudTrailEventId; none when the audit log was off), TrackingStartDate
 * (when Trent began tracking the key: its creation, or for a key created before tracking, the
 * upgrade) and KeyCreationDate. A key never used since tracking began has an empty KeyLastUsage.
 */
import { arnOf } from '../domain/arn.js';
import type { KeyLastUsageData, KeyLastUsageTrackingOperation } from '../kms-types.generated.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getKeyLastUsageOperation = defineOperation('GetKeyLastUsage', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  const usage = await ctx.services.keyUsage.last(key);
  const lastUsage: KeyLastUsageData = {};
  if (usage !== undefined) {
    lastUsage.Operation = usage.operation as KeyLastUsageTrackingOperation;
    lastUsage.Timestamp = usage.at / 1000;
    if (usage.eventId !== undefined) lastUsage.CloudTrailEventId = usage.eventId;
    lastUsage.KmsRequestId = usage.requestId;
  }
  return {
    KeyId: arnOf(key),
    KeyLastUsage: lastUsage,
    TrackingStartDate: Math.max(key.createdAt, key.usageTrackedSince ?? key.createdAt) / 1000,
    KeyCreationDate: key.createdAt / 1000,
  };
});
