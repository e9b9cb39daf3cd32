/**
 * The condition keys of one access decision, as IAM and KMS policies read them: AWS's global keys
 * (aws:PrincipalArn, aws:SourceIp, aws:CurrentTime, aws:ResourceTag/<key>, ...) and KMS's
 * (kms:CallerAccount, kms:EncryptionContext:<key>, kms:DataKeyPairSpec, kms:KeySpec,
 * kms:MultiRegion, kms:MultiRegionKeyType, kms:ReplicaRegion, kms:PrimaryRegion, ...), built
 * from the caller, the resource and the request's facts. Sources: the IAM User Guide's "AWS
 * global condition context keys" and the KMS Developer Guide's "AWS KMS condition keys".
 *
 * Keys are stored in lower case, since IAM compares condition key names without case; the
 * variable part of kms:EncryptionContext:<key> and aws:ResourceTag/<key> is lower-cased with them
 * (AWS: "the key name in the condition key is not case sensitive"). Values keep their case.
 * A key that does not apply to the request is absent, which the Null and ...IfExists operators
 * test; kms:ViaService is never present, since no AWS service calls Trent on a caller's behalf.
 */
import type { KeyRecord } from '../storage/types.js';
import type { AccessFacts, Caller, Resource } from './access.js';
import type { VerifiedAttestation } from './attestation.js';
import { isMultiRegion, isPrimary } from './multi-region.js';
import type { ConditionContext } from './policies.js';

export interface ConditionInput {
  caller: Caller;
  resource: Resource;
  facts: AccessFacts;
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  /** The aliases of the key, for kms:ResourceAliases; looked up only when a policy reads them. */
  resourceAliases?: readonly string[];
}

export function conditionContext(input: ConditionInput): ConditionContext {
  const { caller, resource, facts } = input;
  const keys = new Map<string, string[]>();
  const set = (name: string, ...values: readonly (string | undefined)[]) => {
    const present = values.filter((v): v is string => v !== undefined);
    if (present.length > 0) keys.set(name.toLowerCase(), present);
  };
  const { principal } = caller;

  set('aws:PrincipalArn', principal.arn);
  set('aws:PrincipalAccount', principal.account);
  set('aws:PrincipalType', principal.type === 'root' ? 'Account' : principal.type === 'role' ? 'AssumedRole' : 'User');
  if (principal.type === 'user') set('aws:username', principal.name);
  set('aws:SourceIp', caller.sourceIp);
  set('aws:SecureTransport', String(caller.secureTransport));
  set('aws:CurrentTime', new Date(input.now).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  set('aws:EpochTime', String(Math.floor(input.now / 1000)));
  set('kms:CallerAccount', principal.account);

  const key: KeyRecord | undefined = resource.type === 'key' ? resource.key : undefined;
  if (key) {
    set('kms:KeySpec', key.keySpec);
    set('kms:KeyUsage', key.keyUsage);
    set('kms:KeyOrigin', key.origin);
    set('kms:MultiRegion', String(isMultiRegion(key)));
    if (isMultiRegion(key)) set('kms:MultiRegionKeyType', isPrimary(key) ? 'PRIMARY' : 'REPLICA');
    for (const tag of key.tags) set(`aws:ResourceTag/${tag.TagKey}`, tag.TagValue);
    if (input.resourceAliases) set('kms:ResourceAliases', ...input.resourceAliases);
  } else {
    // CreateKey: the spec, usage and origin of the key being created, and whether it is a
    // multi-Region key (ReplicateKey's check of kms:CreateKey in the replica Region says REPLICA).
    set('kms:KeySpec', facts.keySpec);
    set('kms:KeyUsage', facts.keyUsage);
    set('kms:KeyOrigin', facts.keyOrigin);
    if (facts.multiRegion !== undefined) set('kms:MultiRegion', String(facts.multiRegion));
    set('kms:MultiRegionKeyType', facts.multiRegionKeyType);
  }

  if (facts.encryptionContext) {
    const context = facts.encryptionContext;
    for (const name of Object.keys(context)) set(`kms:EncryptionContext:${name}`, context[name]);
    set('kms:EncryptionContextKeys', ...Object.keys(context));
  }
  set('kms:DataKeyPairSpec', facts.dataKeyPairSpec);
  if (facts.recipientAttestation) setAttestationKeys(set, facts.recipientAttestation);
  set('kms:EncryptionAlgorithm', facts.encryptionAlgorithm);
  set('kms:SigningAlgorithm', facts.signingAlgorithm);
  set('kms:MessageType', facts.messageType);
  set('kms:MacAlgorithm', facts.macAlgorithm);
  set('kms:KeyAgreementAlgorithm', facts.keyAgreementAlgorithm);
  set('kms:RequestAlias', facts.requestAlias);
  set('kms:ReplicaRegion', facts.replicaRegion);
  set('kms:PrimaryRegion', facts.primaryRegion);
  if (facts.reEncryptOnSameKey !== undefined) set('kms:ReEncryptOnSameKey', String(facts.reEncryptOnSameKey));
  if (facts.pendingWindowInDays !== undefined) set('kms:ScheduleKeyDeletionPendingWindowInDays', String(facts.pendingWindowInDays));
  if (facts.rotationPeriodInDays !== undefined) set('kms:RotationPeriodInDays', String(facts.rotationPeriodInDays));
  if (facts.bypassPolicyLockoutSafetyCheck !== undefined) {
    set('kms:BypassPolicyLockoutSafetyCheck', String(facts.bypassPolicyLockoutSafetyCheck));
  }
  if (facts.requestTags) {
    for (const tag of facts.requestTags) set(`aws:RequestTag/${tag.TagKey}`, tag.TagValue);
    set('aws:TagKeys', ...facts.requestTags.map((t) => t.TagKey));
  }
  if (facts.tagKeys) set('aws:TagKeys', ...facts.tagKeys);
  if (facts.newGrant) {
    const grant = facts.newGrant;
    set('kms:GrantOperations', ...grant.operations);
    set('kms:GranteePrincipal', grant.granteePrincipal);
    set('kms:RetiringPrincipal', grant.retiringPrincipal);
    set('kms:GrantConstraintType', ...Object.keys(grant.constraints ?? {}).filter((c) => c.startsWith('EncryptionContext')));
    // No AWS service calls Trent for a caller, so no grant is ever for an AWS resource.
    set('kms:GrantIsForAWSResource', 'false');
  }
  return keys;
}

/**
 * The KMS Developer Guide's "Condition keys for Nitro Enclaves" and "Condition keys for
 * NitroTPM": an enclave document gives kms:RecipientAttestation:ImageSha384 (its PCR0, the image
 * digest) and kms:RecipientAttestation:PCR<n> for each of its PCRs; a NitroTPM document gives
 * kms:RecipientAttestation:NitroTPMPCR<n>. Values are lower-case hex, as AWS documents them.
 */
function setAttestationKeys(set: (name: string, ...values: string[]) => void, attestation: VerifiedAttestation): void {
  const prefix = attestation.kind === 'nitro-enclave' ? 'kms:RecipientAttestation:PCR' : 'kms:RecipientAttestation:NitroTPMPCR';
  for (const [index, pcr] of attestation.pcrs) set(`${prefix}${index}`, pcr.toString('hex'));
  const image = attestation.pcrs.get(0);
  if (attestation.kind === 'nitro-enclave' && image) set('kms:RecipientAttestation:ImageSha384', image.toString('hex'));
}

/** Whether any of `policies` (their JSON text) names kms:ResourceAliases, which costs a lookup. */
export function readsResourceAliases(policyTexts: readonly string[]): boolean {
  return policyTexts.some((text) => /kms:resourcealiases/i.test(text));
}
