/**
 * Checks a restarted server against the crash harness's ledger, reports each difference as a
 * violation, and settles the ledger on what the server shows (an in-flight write found applied
 * becomes acknowledged; after a violation the server's value is taken) so that the next round
 * starts from exact knowledge and one loss is reported once.
 *
 * Every verification: ListKeys (every acknowledged key exists; every other key is explained by
 * a CreateKey in flight at the kill, matched by its unique description) and ListAliases (every
 * alias points at its acknowledged target, or at the in-flight one; no unexplained aliases).
 * ListGrants of every key whose grants were written since the last verification (or had a
 * CreateGrant in flight) plus a sample of the others: every grant exists or not as its last
 * acknowledged CreateGrant, RetireGrant or RevokeGrant says (or as the write in flight would
 * make it), and every other grant is explained by a CreateGrant in flight, matched by its
 * unique grantee; then each of those grants' tokens is used in a DescribeKey: accepted while the
 * grant exists, refused with InvalidGrantTokenException once it is retired or revoked.
 * DescribeKey, ListResourceTags and ListKeyRotations with ALL_KEY_MATERIAL (description, state,
 * tags, the number of on-demand rotations, imported material pending rotation) for every key
 * written since the
 * last verification plus a random sample of the others. Decrypt of every ciphertext produced
 * since the last verification plus a random sample of older ones; a disabled key is enabled for
 * it and disabled again, a key pending deletion has its deletion cancelled and scheduled again
 * (Decrypt needs an Enabled key), and these writes go into the ledger like any other.
 * With `everything`, every key and every ciphertext is checked (the campaign's last round).
 */
import {
  CancelKeyDeletionCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { Caller, describeFailure, send } from './calls.js';
import { acknowledge, formatMaterials, formatTags, sameMaterials, sortTags, type CiphertextEntry, type GrantEntry, type KeyEntry, type KeyState, type Ledger, type Tag } from './ledger.js';
import type { Random } from './random.js';

export interface VerifyOptions {
  client: KMSClient;
  ledger: Ledger;
  rng: Random;
  /** Names this verification in violations, e.g. "after kill 3". */
  label: string;
  violations: string[];
  /** Untouched keys and already-checked ciphertexts to check again. */
  sample: number;
  everything: boolean;
}

export interface VerifyResult {
  keysChecked: number;
  /** Grants whose existence was checked, and grant tokens used. */
  grantsChecked: number;
  tokensChecked: number;
  /** Ciphertexts checked for the first time since they were produced. */
  newCiphertextsChecked: number;
  decryptChecks: number;
}

const ALIAS_PREFIX = 'alias/crash-';

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function listKeyIds(client: KMSClient, caller: Caller): Promise<Set<string> | undefined> {
  const ids = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await caller.read('ListKeys', () => client.send(new ListKeysCommand({ Limit: 1000, ...(marker && { Marker: marker }) })));
    if (!page) return undefined;
    for (const key of page.Keys ?? []) if (key.KeyId) ids.add(key.KeyId);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return ids;
}

async function listAliasTargets(client: KMSClient, caller: Caller): Promise<Map<string, string | undefined> | undefined> {
  const targets = new Map<string, string | undefined>();
  let marker: string | undefined;
  do {
    const page = await caller.read('ListAliases', () => client.send(new ListAliasesCommand({ Limit: 100, ...(marker && { Marker: marker }) })));
    if (!page) return undefined;
    for (const alias of page.Aliases ?? []) {
      if (alias.AliasName?.startsWith(ALIAS_PREFIX)) targets.set(alias.AliasName, alias.TargetKeyId);
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return targets;
}

async function tagsOf(client: KMSClient, caller: Caller, keyId: string): Promise<Tag[] | undefined> {
  const listed = await caller.read(`ListResourceTags ${keyId}`, () => client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 50 })));
  return listed && sortTags((listed.Tags ?? []).map((t) => ({ TagKey: t.TagKey ?? '', TagValue: t.TagValue ?? '' })));
}

const sameTags = (a: Tag[], b: Tag[]): boolean => formatTags(a) === formatTags(b);

/** Every acknowledged key exists; every key the ledger does not know is a CreateKey in flight at the kill. */
async function checkKeyList(o: VerifyOptions, caller: Caller): Promise<boolean> {
  const { client, ledger } = o;
  const listed = await listKeyIds(client, caller);
  if (!listed) return false;
  for (const key of [...ledger.keys.values()]) {
    if (listed.has(key.keyId)) continue;
    const ciphertexts = ledger.ciphertexts.filter((c) => c.keyId === key.keyId);
    caller.violation(
      `key ${key.keyId} ('${key.description}') is missing: ${key.createdBy} was acknowledged` +
        (ciphertexts.length > 0 ? `; ${ciphertexts.length} ciphertexts under it can no longer be decrypted` : ''),
    );
    ledger.keys.delete(key.keyId);
    ledger.ciphertexts.splice(0, ledger.ciphertexts.length, ...ledger.ciphertexts.filter((c) => c.keyId !== key.keyId));
  }
  for (const keyId of listed) {
    if (ledger.keys.has(keyId) || ledger.foreign.has(keyId)) continue;
    const described = await caller.read(`DescribeKey ${keyId}`, () => client.send(new DescribeKeyCommand({ KeyId: keyId })));
    const metadata = described?.KeyMetadata;
    if (!metadata?.Arn) continue;
    const created = ledger.createsInFlight.find((c) => c.description === metadata.Description);
    // An EXTERNAL key is created PendingImport: the deep check below compares its state too.
    if (!created) {
      caller.violation(`key ${keyId} ('${metadata.Description}') exists, but no CreateKey for it was acknowledged or in flight at the kill`);
      ledger.foreign.add(keyId);
      continue;
    }
    ledger.createsInFlight = ledger.createsInFlight.filter((c) => c !== created);
    ledger.inFlightOutcomes.applied++;
    const by = `${created.by} (in flight at the kill, found applied)`;
    // The key is created Enabled with these tags: the deep check below compares them.
    ledger.keys.set(keyId, {
      keyId,
      arn: metadata.Arn,
      owner: created.owner,
      createdBy: by,
      description: created.description,
      state: { acked: created.external ? 'PendingImport' : 'Enabled', by },
      tags: { acked: created.tags, by },
      external: metadata.Origin === 'EXTERNAL',
      // A key created with imported material in flight cannot have it: its import came after the answer.
      materials: { acked: { rotations: 0, pending: false }, by },
    });
    ledger.touched.add(keyId);
  }
  return true;
}

/** Every alias points at its acknowledged target, or at the one a write in flight at the kill named. */
async function checkAliases(o: VerifyOptions, caller: Caller): Promise<void> {
  const { client, ledger } = o;
  const found = await listAliasTargets(client, caller);
  if (!found) return;
  for (const alias of [...ledger.aliases.values()]) {
    const problem = ledger.settle(alias.target, found.get(alias.aliasName), Object.is, (target) => (target === undefined ? 'no such alias' : `target ${target}`));
    if (problem) caller.violation(`alias ${alias.aliasName}: ${problem}`);
  }
  for (const [aliasName, target] of found) {
    if (ledger.aliases.has(aliasName) || ledger.foreign.has(aliasName)) continue;
    caller.violation(`alias ${aliasName} -> ${target} exists, but no write that creates it was acknowledged or in flight at the kill`);
    ledger.foreign.add(aliasName);
  }
}

/** The grant ids and grantees ListGrants shows for one key; undefined if it did not answer. */
async function listGrants(client: KMSClient, caller: Caller, keyId: string): Promise<Map<string, string> | undefined> {
  const grants = new Map<string, string>();
  let marker: string | undefined;
  do {
    const page = await caller.read(`ListGrants ${keyId}`, () => client.send(new ListGrantsCommand({ KeyId: keyId, Limit: 100, ...(marker && { Marker: marker }) })));
    if (!page) return undefined;
    for (const grant of page.Grants ?? []) if (grant.GrantId) grants.set(grant.GrantId, grant.GranteePrincipal ?? '');
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return grants;
}

/** A grant's token is accepted while the grant exists, and refused once it does not. */
async function checkToken(o: VerifyOptions, caller: Caller, grant: GrantEntry): Promise<void> {
  if (grant.token === undefined) return;
  const answer = await send(() => o.client.send(new DescribeKeyCommand({ KeyId: grant.keyId, GrantTokens: [grant.token as string] })));
  const what = `DescribeKey ${grant.keyId} with the token of grant ${grant.grantId} (${grant.exists.acked ? 'exists' : 'deleted'} after ${grant.exists.by})`;
  if (grant.exists.acked && answer.kind !== 'ok') caller.violation(`${what}: ${describeFailure(answer)}`);
  if (!grant.exists.acked && (answer.kind !== 'refused' || answer.name !== 'InvalidGrantTokenException')) {
    caller.violation(`${what}: ${answer.kind === 'ok' ? 'accepted' : describeFailure(answer)}, expected InvalidGrantTokenException`);
  }
}

/** Grants exist as acknowledged; a grant nothing acknowledged is a CreateGrant in flight at the kill. */
async function checkGrants(o: VerifyOptions, caller: Caller): Promise<{ grants: number; tokens: number }> {
  const { client, ledger, rng } = o;
  const byKey = new Map<string, GrantEntry[]>();
  for (const grant of ledger.grants.values()) byKey.set(grant.keyId, [...(byKey.get(grant.keyId) ?? []), grant]);
  const written = new Set([
    ...[...ledger.touchedGrants].map((id) => ledger.grants.get(id)?.keyId),
    ...ledger.grantCreatesInFlight.map((c) => c.keyId),
  ]);
  const all = [...new Set([...byKey.keys(), ...written])].filter((keyId): keyId is string => keyId !== undefined && ledger.keys.has(keyId));
  const keys = o.everything ? all : [...all.filter((k) => written.has(k)), ...rng.sample(all.filter((k) => !written.has(k)), o.sample)];
  const checked: GrantEntry[] = [];
  await forEachLimit(keys, 8, async (keyId) => {
    const found = await listGrants(client, caller, keyId);
    if (!found) return;
    for (const grant of byKey.get(keyId) ?? []) {
      const problem = ledger.settle(grant.exists, found.has(grant.grantId), Object.is, (exists) => (exists ? 'the grant' : 'no such grant'));
      if (problem) caller.violation(`grant ${grant.grantId} on key ${keyId}: ${problem}`);
      checked.push(grant);
    }
    for (const [grantId, grantee] of found) {
      if (ledger.grants.has(grantId) || ledger.foreign.has(grantId)) continue;
      const created = ledger.grantCreatesInFlight.find((c) => c.keyId === keyId && c.grantee === grantee);
      if (!created) {
        caller.violation(`grant ${grantId} on key ${keyId} to ${grantee} exists, but no CreateGrant for it was acknowledged or in flight at the kill`);
        ledger.foreign.add(grantId);
        continue;
      }
      ledger.grantCreatesInFlight = ledger.grantCreatesInFlight.filter((c) => c !== created);
      ledger.inFlightOutcomes.applied++;
      const by = `${created.by} (in flight at the kill, found applied)`;
      ledger.grants.set(grantId, { grantId, keyId, owner: created.owner, grantee, token: undefined, createdBy: by, exists: { acked: true, by } });
    }
  });
  // Every key with a CreateGrant in flight was listed: the ones not found were not applied.
  ledger.inFlightOutcomes.notApplied += ledger.grantCreatesInFlight.length;
  ledger.grantCreatesInFlight = [];
  const tokens = o.everything ? checked : checked.filter((g) => ledger.touchedGrants.has(g.grantId));
  ledger.touchedGrants.clear();
  await forEachLimit(tokens, 8, (grant) => checkToken(o, caller, grant));
  return { grants: checked.length, tokens: tokens.filter((g) => g.token !== undefined).length };
}

/** Description, state, tags, on-demand rotations and material pending rotation of one key. */
async function checkKey(o: VerifyOptions, caller: Caller, key: KeyEntry): Promise<void> {
  const described = await caller.read(`DescribeKey ${key.keyId}`, () => o.client.send(new DescribeKeyCommand({ KeyId: key.keyId })));
  const metadata = described?.KeyMetadata;
  if (metadata) {
    if (metadata.Description !== key.description) {
      caller.violation(`key ${key.keyId}: description '${metadata.Description}', expected '${key.description}' from ${key.createdBy}`);
    }
    const problem = o.ledger.settle(key.state, metadata.KeyState as KeyState, Object.is, (state) => state);
    if (problem) caller.violation(`key ${key.keyId} ('${key.description}') state: ${problem}`);
  }
  const tags = await tagsOf(o.client, caller, key.keyId);
  if (tags) {
    const problem = o.ledger.settle(key.tags, tags, sameTags, formatTags);
    if (problem) caller.violation(`key ${key.keyId} ('${key.description}') tags: ${problem}`);
  }
  const listed = await caller.read(`ListKeyRotations ${key.keyId}`, () =>
    o.client.send(new ListKeyRotationsCommand({ KeyId: key.keyId, Limit: 1000, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' })),
  );
  if (listed) {
    const entries = listed.Rotations ?? [];
    const found = { rotations: entries.filter((r) => r.RotationType !== undefined).length, pending: entries.some((r) => r.KeyMaterialState === 'PENDING_ROTATION') };
    const problem = o.ledger.settle(key.materials, found, sameMaterials, formatMaterials);
    if (problem) caller.violation(`key ${key.keyId} ('${key.description}') key material: ${problem}`);
  }
}

/** A state-changing write made by the verifier itself, recorded in the ledger like the workload's. */
async function changeState(o: VerifyOptions, caller: Caller, key: KeyEntry, operation: string, next: KeyState, request: () => Promise<unknown>): Promise<boolean> {
  const by = `${operation} ${key.keyId} by the verifier ${o.label}`;
  o.ledger.touched.add(key.keyId);
  return caller.write(by, request, {
    acked: () => acknowledge(key.state, next, by),
    inFlight: () => (key.state.inFlight = { value: next, by }),
  });
}

/** Decrypts one key's ciphertexts, enabling the key for it and restoring its state after. */
async function checkCiphertexts(o: VerifyOptions, caller: Caller, key: KeyEntry, entries: readonly CiphertextEntry[]): Promise<number> {
  const { client } = o;
  const before = key.state.acked;
  if (before === 'PendingDeletion') {
    await changeState(o, caller, key, 'CancelKeyDeletion', 'Disabled', () => client.send(new CancelKeyDeletionCommand({ KeyId: key.keyId })));
  }
  if (before !== 'Enabled') {
    await changeState(o, caller, key, 'EnableKey', 'Enabled', () => client.send(new EnableKeyCommand({ KeyId: key.keyId })));
  }
  let checks = 0;
  for (const entry of entries) {
    const output = await caller.read(`Decrypt of the ciphertext from ${entry.source} (key ${key.keyId})`, () =>
      client.send(new DecryptCommand({ CiphertextBlob: entry.blob, EncryptionContext: entry.context })),
    );
    checks++;
    entry.checked = true;
    if (!output) continue;
    if (output.KeyId !== entry.arn || !output.Plaintext || !Buffer.from(output.Plaintext).equals(Buffer.from(entry.plaintext))) {
      caller.violation(`Decrypt of the ciphertext from ${entry.source}: KeyId ${output.KeyId} (expected ${entry.arn}), plaintext ${output.Plaintext ? 'differs' : 'missing'}`);
    }
  }
  if (before === 'Disabled' || before === 'PendingDeletion') {
    await changeState(o, caller, key, 'DisableKey', 'Disabled', () => client.send(new DisableKeyCommand({ KeyId: key.keyId })));
  }
  if (before === 'PendingDeletion') {
    const days = o.rng.int(7, 30);
    await changeState(o, caller, key, `ScheduleKeyDeletion (${days} days)`, 'PendingDeletion', () =>
      client.send(new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: days })),
    );
  }
  return checks;
}

export async function verifyLedger(o: VerifyOptions): Promise<VerifyResult> {
  const { ledger, rng } = o;
  const caller = new Caller(ledger, `verification ${o.label}`, o.violations);
  const result: VerifyResult = { keysChecked: 0, grantsChecked: 0, tokensChecked: 0, newCiphertextsChecked: 0, decryptChecks: 0 };
  if (!(await checkKeyList(o, caller))) return result;
  await checkAliases(o, caller);
  const grants = await checkGrants(o, caller);
  result.grantsChecked = grants.grants;
  result.tokensChecked = grants.tokens;

  const keys = [...ledger.keys.values()];
  const deep = o.everything
    ? keys
    : [...keys.filter((k) => ledger.touched.has(k.keyId)), ...rng.sample(keys.filter((k) => !ledger.touched.has(k.keyId)), o.sample)];
  ledger.touched.clear();
  ledger.inFlightOutcomes.notApplied += ledger.createsInFlight.length;
  ledger.createsInFlight = [];
  await forEachLimit(deep, 8, (key) => checkKey(o, caller, key));
  result.keysChecked = deep.length;

  const unchecked = ledger.ciphertexts.filter((c) => !c.checked);
  const ciphertexts = o.everything ? ledger.ciphertexts : [...unchecked, ...rng.sample(ledger.ciphertexts.filter((c) => c.checked), o.sample)];
  result.newCiphertextsChecked = unchecked.length;
  const byKey = new Map<string, CiphertextEntry[]>();
  for (const entry of ciphertexts) byKey.set(entry.keyId, [...(byKey.get(entry.keyId) ?? []), entry]);
  await forEachLimit([...byKey], 4, async ([keyId, entries]) => {
    const key = ledger.keys.get(keyId);
    if (!key) return;
    const checks = await checkCiphertexts(o, caller, key, entries);
    result.decryptChecks += checks;
  });
  return result;
}
