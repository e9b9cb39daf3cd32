/**
 * The rows of the SQL stores (SQLite and PostgreSQL share one schema's column names and types)
 * and the records read from them: one mapping, so the two back ends cannot drift apart.
 */
import type { GrantOperation, KeySpec, KeyUsageType } from '../kms-types.generated.js';
import type {
  AliasRecord,
  ExpirationModel,
  GrantConstraintsRecord,
  GrantRecord,
  KeyMaterialRecord,
  KeyRecord,
  KeyState,
  KeyUsageRecord,
  RotationType,
  Tag,
} from './types.js';

export interface KeyRow {
  key_id: string;
  account: string;
  region: string;
  created_at: number;
  description: string;
  key_spec: string;
  key_usage: string;
  origin: string;
  state: string;
  deletion_date: number | null;
  pending_window_days: number | null;
  policy: string;
  tags: string;
  current_material_version: number;
  public_key: Buffer | null;
  rotation_period_days: number | null;
  next_rotation_date: number | null;
  usage_tracked_since: number | null;
  expiration_model: string | null;
  valid_to: number | null;
  primary_region: string | null;
  revision: number;
}

export interface MaterialRow {
  key_id: string;
  region: string;
  version: number;
  material_id: string;
  wrapped: Buffer;
  created_at: number;
  rotation_type: string | null;
  import_state: string | null;
  description: string | null;
}

export interface AliasRow {
  account: string;
  region: string;
  alias_name: string;
  target_key_id: string;
  created_at: number;
  updated_at: number;
}

export interface UsageRow {
  key_id: string;
  region: string;
  operation: string;
  used_at: number;
  request_id: string;
  event_id: string | null;
}

export interface GrantRow {
  grant_id: string;
  key_id: string;
  account: string;
  region: string;
  name: string | null;
  grantee_principal: string;
  retiring_principal: string | null;
  grantee_service_principal: string | null;
  retiring_service_principal: string | null;
  operations: string;
  constraints: string | null;
  issuing_account: string;
  created_at: number;
  identity: string;
}

export function keyFromRow(row: KeyRow): KeyRecord {
  const key: KeyRecord = {
    keyId: row.key_id,
    account: row.account,
    region: row.region,
    createdAt: row.created_at,
    description: row.description,
    keySpec: row.key_spec as KeySpec,
    keyUsage: row.key_usage as KeyUsageType,
    origin: row.origin as KeyRecord['origin'],
    state: row.state as KeyState,
    policy: row.policy,
    tags: JSON.parse(row.tags) as Tag[],
    currentMaterialVersion: row.current_material_version,
    revision: row.revision,
  };
  if (row.deletion_date !== null) key.deletionDate = row.deletion_date;
  if (row.pending_window_days !== null) key.pendingWindowInDays = row.pending_window_days;
  if (row.public_key !== null) key.publicKey = row.public_key;
  if (row.rotation_period_days !== null) key.rotationPeriodInDays = row.rotation_period_days;
  if (row.next_rotation_date !== null) key.nextRotationDate = row.next_rotation_date;
  if (row.usage_tracked_since !== null) key.usageTrackedSince = row.usage_tracked_since;
  if (row.expiration_model !== null) key.expirationModel = row.expiration_model as ExpirationModel;
  if (row.valid_to !== null) key.validTo = row.valid_to;
  if (row.primary_region !== null) key.primaryRegion = row.primary_region;
  return key;
}

export function materialFromRow(row: MaterialRow | undefined): KeyMaterialRecord | undefined {
  if (!row) return undefined;
  const material: KeyMaterialRecord = {
    keyId: row.key_id,
    region: row.region,
    version: row.version,
    materialId: row.material_id,
    wrapped: row.wrapped,
    createdAt: row.created_at,
  };
  if (row.rotation_type !== null) material.rotationType = row.rotation_type as RotationType;
  if (row.import_state !== null) material.importState = row.import_state as KeyMaterialRecord['importState'] & string;
  if (row.description !== null) material.description = row.description;
  return material;
}

export function aliasFromRow(row: AliasRow): AliasRecord {
  return {
    account: row.account,
    region: row.region,
    aliasName: row.alias_name,
    targetKeyId: row.target_key_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function usageFromRow(row: UsageRow): KeyUsageRecord {
  const usage: KeyUsageRecord = { keyId: row.key_id, region: row.region, operation: row.operation, at: row.used_at, requestId: row.request_id };
  if (row.event_id !== null) usage.eventId = row.event_id;
  return usage;
}

/** A use as the row that stores it. */
export function usageRow(usage: KeyUsageRecord): UsageRow {
  return {
    key_id: usage.keyId,
    region: usage.region,
    operation: usage.operation,
    used_at: usage.at,
    request_id: usage.requestId,
    event_id: usage.eventId ?? null,
  };
}

export function grantFromRow(row: GrantRow): GrantRecord {
  const grant: GrantRecord = {
    grantId: row.grant_id,
    keyId: row.key_id,
    account: row.account,
    region: row.region,
    granteePrincipal: row.grantee_principal,
    operations: JSON.parse(row.operations) as GrantOperation[],
    issuingAccount: row.issuing_account,
    createdAt: row.created_at,
  };
  if (row.name !== null) grant.name = row.name;
  if (row.retiring_principal !== null) grant.retiringPrincipal = row.retiring_principal;
  if (row.grantee_service_principal !== null) grant.granteeServicePrincipal = row.grantee_service_principal;
  if (row.retiring_service_principal !== null) grant.retiringServicePrincipal = row.retiring_service_principal;
  if (row.constraints !== null) grant.constraints = JSON.parse(row.constraints) as GrantConstraintsRecord;
  return grant;
}
