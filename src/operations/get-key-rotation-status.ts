/**
 * GetKeyRotationStatus: whether automatic rotation is enabled, its period and next date. Trent
 * rotates on demand within the request, so no on-demand rotation is ever in progress and
 * OnDemandRotationStartDate is never shown. Keys that cannot rotate (asymmetric, HMAC) refuse.
 */
import { arnOf } from '../domain/arn.js';
import { assertRotatableKind } from '../domain/rotation.js';
import type { GetKeyRotationStatusResponse } from '../kms-types.generated.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getKeyRotationStatusOperation = defineOperation('GetKeyRotationStatus', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertRotatableKind(key);
  const response: GetKeyRotationStatusResponse = { KeyRotationEnabled: key.rotationPeriodInDays !== undefined, KeyId: arnOf(key) };
  if (key.rotationPeriodInDays !== undefined && key.nextRotationDate !== undefined) {
    response.RotationPeriodInDays = key.rotationPeriodInDays;
    response.NextRotationDate = key.nextRotationDate / 1000;
  }
  return response;
});
