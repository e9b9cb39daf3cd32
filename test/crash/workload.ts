/**
 * The crash harness's write-heavy workload: several client loops, each with its own
 * @aws-sdk/client-kms client, sending one request at a time until the server is killed.
 * A loop owns the keys it created and the aliases it named, and only ever sends requests that
 * are valid for the state its ledger knows (no EnableKey on a key pending deletion, no alias to
 * a key pending deletion), so every refusal is a violation, not noise.
 *
 * Writes: CreateKey (random description and tags; some with Origin EXTERNAL, PendingImport until
 * ImportKeyMaterial gives them material), CreateAlias / UpdateAlias / DeleteAlias,
 * DisableKey / EnableKey, ScheduleKeyDeletion / CancelKeyDeletion, TagResource / UntagResource,
 * RotateKeyOnDemand (on an enabled key, below AWS's 25 per key; ciphertexts made before must
 * still decrypt after the kill), ImportKeyMaterial (first material, or NEW_KEY_MATERIAL pending
 * rotation, which the next RotateKeyOnDemand of that key makes current),
 * CreateGrant (on an enabled key, to a grantee unique to the grant) / RetireGrant (by token, or
 * by key and grant id) / RevokeGrant.
 * Ciphertexts: Encrypt and GenerateDataKeyPair (by key id, key ARN or alias) with an encryption
 * context, kept with the expected plaintext so that verification can decrypt them after a kill.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { kmsClient } from '../helpers/clients.js';
import { Caller } from './calls.js';
import { acknowledge, formatTags, sortTags, type GrantEntry, type KeyEntry, type KeyState, type Ledger, type Tag } from './ledger.js';
import type { Random } from './random.js';

/** States in which a key's aliases and tags may change (AWS: anything but PendingDeletion). */
export const MANAGEABLE: readonly KeyState[] = ['Enabled', 'Disabled'];
const TAG_KEYS = ['team', 'env', 'tier', 'owner', 'cost', 'app'];
/** Cheap to generate on demand (the test servers run without a key-pair pool). */
const KEY_PAIR_SPECS = ['ECC_NIST_P256', 'ECC_NIST_EDWARDS25519'] as const;
const MAX_ALIASES_PER_LOOP = 8;
const GRANT_OPERATIONS = ['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'DescribeKey', 'RetireGrant'] as const;
/** The account of development mode, whose principals the grants name. */
const ACCOUNT = '111122223333';

class ClientLoop {
  readonly caller: Caller;

  constructor(
    readonly index: number,
    readonly round: number,
    readonly client: KMSClient,
    readonly rng: Random,
    readonly ledger: Ledger,
    violations: string[],
    killing: () => boolean,
  ) {
    this.caller = new Caller(ledger, `round ${round}, client loop ${index}`, violations, killing);
  }

  /** How a write is named in the ledger and in violations. */
  writeName(operation: string): string {
    return `${operation} in round ${this.round} (client loop ${this.index})`;
  }

  /** This loop's keys in `states` with no write in doubt. */
  keys(states: readonly KeyState[]): KeyEntry[] {
    return this.ledger.keysOf(this.index, states).filter((k) => !k.state.inFlight && !k.tags.inFlight);
  }

  randomTags(count: number): Tag[] {
    return this.rng.sample(TAG_KEYS, count).map((TagKey) => ({ TagKey, TagValue: this.rng.hex(3) }));
  }
}

type Action = (loop: ClientLoop) => Promise<unknown> | undefined;

function createKey(loop: ClientLoop, external = false): Promise<unknown> {
  const description = `crash round ${loop.round} loop ${loop.index} #${loop.ledger.nextSerial()} ${loop.rng.hex(4)}`;
  const tags = sortTags(loop.randomTags(loop.rng.int(0, 2)));
  const by = loop.writeName(`CreateKey${external ? ' (Origin EXTERNAL)' : ''} '${description}' with tags ${formatTags(tags)}`);
  const state: KeyState = external ? 'PendingImport' : 'Enabled';
  return loop.caller.write(
    by,
    () => loop.client.send(new CreateKeyCommand({ Description: description, ...(external && { Origin: 'EXTERNAL' }), ...(tags.length > 0 && { Tags: tags }) })),
    {
      acked: (output) => {
        const metadata = output.KeyMetadata;
        if (!metadata?.KeyId || !metadata.Arn || metadata.Description !== description || metadata.KeyState !== state) {
          loop.caller.violation(`${by}: unexpected KeyMetadata ${JSON.stringify(metadata)}`);
          return;
        }
        loop.ledger.keys.set(metadata.KeyId, {
          keyId: metadata.KeyId,
          arn: metadata.Arn,
          owner: loop.index,
          createdBy: by,
          description,
          state: { acked: state, by },
          tags: { acked: tags, by },
          external,
          materials: { acked: { rotations: 0, pending: false }, by },
        });
        loop.ledger.touched.add(metadata.KeyId);
      },
      inFlight: () => loop.ledger.createsInFlight.push({ owner: loop.index, by, description, tags, external }),
    },
  );
}

/**
 * ImportKeyMaterial into a key of this loop with Origin EXTERNAL: its first material (the key
 * becomes Enabled), or, for a key that has material and none pending, new material pending
 * rotation (ImportType NEW_KEY_MATERIAL). Wrapped with RSAES_OAEP_SHA_256 under the key's first
 * GetParametersForImport answer (its token is valid 24 hours, for any number of imports).
 */
function importMaterial(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(
    [...loop.keys(['PendingImport']), ...loop.keys(MANAGEABLE).filter((k) => !k.materials.inFlight && !k.materials.acked.pending && k.materials.acked.rotations < 25)].filter(
      (k) => k.external,
    ),
  );
  return key && importMaterialInto(loop, key);
}

async function importMaterialInto(loop: ClientLoop, key: KeyEntry): Promise<unknown> {
  const first = key.state.acked === 'PendingImport';
  if (!key.importParameters) {
    const params = await loop.caller.read(`GetParametersForImport ${key.keyId}`, () =>
      loop.client.send(new GetParametersForImportCommand({ KeyId: key.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })),
    );
    if (!params?.PublicKey || !params.ImportToken) return params;
    key.importParameters = { publicKey: params.PublicKey, token: params.ImportToken };
  }
  const { publicKey, token } = key.importParameters;
  const wrapped = publicEncrypt(
    { key: createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    loop.rng.bytes(32),
  );
  const by = loop.writeName(`ImportKeyMaterial (${first ? 'first material' : 'NEW_KEY_MATERIAL'}) ${key.keyId}`);
  loop.ledger.touched.add(key.keyId);
  const request = () =>
    loop.client.send(
      new ImportKeyMaterialCommand({
        KeyId: key.keyId,
        ImportToken: token,
        EncryptedKeyMaterial: wrapped,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        ...(!first && { ImportType: 'NEW_KEY_MATERIAL' }),
      }),
    );
  if (first) {
    return loop.caller.write(by, request, {
      acked: () => {
        acknowledge(key.state, 'Enabled', by);
        loop.ledger.importedMaterial.imports++;
      },
      inFlight: () => (key.state.inFlight = { value: 'Enabled', by }),
    });
  }
  const next = { ...key.materials.acked, pending: true };
  return loop.caller.write(by, request, {
    acked: () => {
      acknowledge(key.materials, next, by);
      loop.ledger.importedMaterial.imports++;
    },
    inFlight: () => (key.materials.inFlight = { value: next, by }),
  });
}

function createAlias(loop: ClientLoop): Promise<unknown> | undefined {
  if (loop.ledger.aliasesOf(loop.index).length >= MAX_ALIASES_PER_LOOP) return undefined;
  const key = loop.rng.pick(loop.keys(MANAGEABLE));
  if (!key) return undefined;
  const aliasName = `alias/crash-${loop.index}-${loop.ledger.nextSerial()}`;
  const by = loop.writeName(`CreateAlias ${aliasName} -> ${key.keyId}`);
  return loop.caller.write(by, () => loop.client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.keyId })), {
    acked: () => loop.ledger.aliases.set(aliasName, { aliasName, owner: loop.index, target: { acked: key.keyId, by } }),
    inFlight: () =>
      loop.ledger.aliases.set(aliasName, {
        aliasName,
        owner: loop.index,
        target: { acked: undefined, by: 'no acknowledged CreateAlias', inFlight: { value: key.keyId, by } },
      }),
  });
}

function updateAlias(loop: ClientLoop): Promise<unknown> | undefined {
  const alias = loop.rng.pick(loop.ledger.aliasesOf(loop.index));
  const key = alias && loop.rng.pick(loop.keys(MANAGEABLE).filter((k) => k.keyId !== alias.target.acked));
  if (!alias || !key) return undefined;
  const by = loop.writeName(`UpdateAlias ${alias.aliasName} -> ${key.keyId}`);
  return loop.caller.write(by, () => loop.client.send(new UpdateAliasCommand({ AliasName: alias.aliasName, TargetKeyId: key.arn })), {
    acked: () => acknowledge(alias.target, key.keyId, by),
    inFlight: () => (alias.target.inFlight = { value: key.keyId, by }),
  });
}

function deleteAlias(loop: ClientLoop): Promise<unknown> | undefined {
  const alias = loop.rng.pick(loop.ledger.aliasesOf(loop.index));
  if (!alias) return undefined;
  const by = loop.writeName(`DeleteAlias ${alias.aliasName}`);
  return loop.caller.write(by, () => loop.client.send(new DeleteAliasCommand({ AliasName: alias.aliasName })), {
    acked: () => acknowledge(alias.target, undefined, by),
    inFlight: () => (alias.target.inFlight = { value: undefined, by }),
  });
}

/** A write that moves a key to `next`; the caller has checked the move is allowed. */
function changeState(loop: ClientLoop, key: KeyEntry, operation: string, next: KeyState, request: () => Promise<unknown>): Promise<unknown> {
  const by = loop.writeName(`${operation} ${key.keyId}`);
  loop.ledger.touched.add(key.keyId);
  return loop.caller.write(by, request, {
    acked: () => acknowledge(key.state, next, by),
    inFlight: () => (key.state.inFlight = { value: next, by }),
  });
}

function enableOrDisable(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(MANAGEABLE));
  if (!key) return undefined;
  return key.state.acked === 'Enabled'
    ? changeState(loop, key, 'DisableKey', 'Disabled', () => loop.client.send(new DisableKeyCommand({ KeyId: key.keyId })))
    : changeState(loop, key, 'EnableKey', 'Enabled', () => loop.client.send(new EnableKeyCommand({ KeyId: key.arn })));
}

function scheduleDeletion(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(MANAGEABLE));
  if (!key) return undefined;
  const days = loop.rng.int(7, 30);
  return changeState(loop, key, `ScheduleKeyDeletion (${days} days)`, 'PendingDeletion', () =>
    loop.client.send(new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: days })),
  );
}

/** A cancelled deletion leaves the key Disabled (AWS: CancelKeyDeletion). */
function cancelDeletion(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(['PendingDeletion']));
  if (!key) return undefined;
  return changeState(loop, key, 'CancelKeyDeletion', 'Disabled', () => loop.client.send(new CancelKeyDeletionCommand({ KeyId: key.keyId })));
}

function tagKey(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(MANAGEABLE));
  if (!key) return undefined;
  const added = loop.randomTags(loop.rng.int(1, 2));
  const merged = new Map(key.tags.acked.map((t) => [t.TagKey, t.TagValue]));
  for (const tag of added) merged.set(tag.TagKey, tag.TagValue);
  const next = sortTags([...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue })));
  const by = loop.writeName(`TagResource ${key.keyId} ${formatTags(added)}`);
  loop.ledger.touched.add(key.keyId);
  return loop.caller.write(by, () => loop.client.send(new TagResourceCommand({ KeyId: key.keyId, Tags: added })), {
    acked: () => acknowledge(key.tags, next, by),
    inFlight: () => (key.tags.inFlight = { value: next, by }),
  });
}

function untagKey(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(MANAGEABLE).filter((k) => k.tags.acked.length > 0));
  if (!key) return undefined;
  const removed = loop.rng.sample(key.tags.acked.map((t) => t.TagKey), loop.rng.int(1, 2));
  const next = key.tags.acked.filter((t) => !removed.includes(t.TagKey));
  const by = loop.writeName(`UntagResource ${key.keyId} [${removed.join(',')}]`);
  loop.ledger.touched.add(key.keyId);
  return loop.caller.write(by, () => loop.client.send(new UntagResourceCommand({ KeyId: key.arn, TagKeys: removed })), {
    acked: () => acknowledge(key.tags, next, by),
    inFlight: () => (key.tags.inFlight = { value: next, by }),
  });
}

/**
 * RotateKeyOnDemand of an enabled key with rotations to spare (AWS allows 25 per key); a key
 * with imported material only when new material is pending rotation (it becomes current).
 */
function rotateKey(loop: ClientLoop, external: boolean): Promise<unknown> | undefined {
  const key = loop.rng.pick(
    loop.keys(['Enabled']).filter((k) => k.external === external && !k.materials.inFlight && k.materials.acked.rotations < 25 && (!external || k.materials.acked.pending)),
  );
  if (!key) return undefined;
  const next = { rotations: key.materials.acked.rotations + 1, pending: false };
  const by = loop.writeName(`RotateKeyOnDemand ${key.keyId} (rotation ${next.rotations}${key.external ? ', to imported material' : ''})`);
  loop.ledger.touched.add(key.keyId);
  return loop.caller.write(by, () => loop.client.send(new RotateKeyOnDemandCommand({ KeyId: key.keyId })), {
    acked: () => {
      acknowledge(key.materials, next, by);
      if (key.external) loop.ledger.importedMaterial.rotations++;
    },
    inFlight: () => (key.materials.inFlight = { value: next, by }),
  });
}

function createGrant(loop: ClientLoop): Promise<unknown> | undefined {
  const key = loop.rng.pick(loop.keys(['Enabled']));
  if (!key) return undefined;
  const grantee = `arn:aws:iam::${ACCOUNT}:role/crash-grantee-${loop.round}-${loop.index}-${loop.ledger.nextSerial()}`;
  const operations = loop.rng.sample([...GRANT_OPERATIONS], loop.rng.int(1, 3));
  const by = loop.writeName(`CreateGrant on ${key.keyId} to ${grantee} for [${operations.join(',')}]`);
  return loop.caller.write(
    by,
    () => loop.client.send(new CreateGrantCommand({ KeyId: loop.rng.chance(0.5) ? key.arn : key.keyId, GranteePrincipal: grantee, Operations: operations })),
    {
      acked: (output) => {
        if (!output.GrantId || !output.GrantToken) {
          loop.caller.violation(`${by}: no GrantId or GrantToken in ${JSON.stringify(output)}`);
          return;
        }
        loop.ledger.grants.set(output.GrantId, {
          grantId: output.GrantId,
          keyId: key.keyId,
          owner: loop.index,
          grantee,
          token: output.GrantToken,
          createdBy: by,
          exists: { acked: true, by },
        });
        loop.ledger.touchedGrants.add(output.GrantId);
      },
      inFlight: () => loop.ledger.grantCreatesInFlight.push({ owner: loop.index, keyId: key.keyId, grantee, by }),
    },
  );
}

/** RetireGrant (by token when the ledger has it, else by key and grant id) or RevokeGrant, in any key state. */
function deleteGrant(loop: ClientLoop, how: 'retire' | 'revoke'): Promise<unknown> | undefined {
  const grant: GrantEntry | undefined = loop.rng.pick(loop.ledger.grantsOf(loop.index));
  const key = grant && loop.ledger.keys.get(grant.keyId);
  if (!grant || !key) return undefined;
  const byToken = how === 'retire' && grant.token !== undefined && loop.rng.chance(0.5);
  const operation = how === 'revoke' ? 'RevokeGrant' : byToken ? 'RetireGrant by token' : 'RetireGrant';
  const by = loop.writeName(`${operation} ${grant.grantId} of ${grant.keyId}`);
  loop.ledger.touchedGrants.add(grant.grantId);
  const request = () =>
    how === 'revoke'
      ? loop.client.send(new RevokeGrantCommand({ KeyId: key.arn, GrantId: grant.grantId }))
      : byToken
        ? loop.client.send(new RetireGrantCommand({ GrantToken: grant.token }))
        : loop.client.send(new RetireGrantCommand({ KeyId: key.keyId, GrantId: grant.grantId }));
  return loop.caller.write(by, request, {
    acked: () => acknowledge(grant.exists, false, by),
    inFlight: () => (grant.exists.inFlight = { value: false, by }),
  });
}

/** An enabled key of this loop and how to name it: key id, key ARN, or one of its aliases. */
function usableKey(loop: ClientLoop): { key: KeyEntry; name: string } | undefined {
  const enabled = loop.keys(['Enabled']);
  // Keys with imported material are fewer: a third of the ciphertexts go to them when there are some.
  const external = enabled.filter((k) => k.external);
  const key = loop.rng.pick(external.length > 0 && loop.rng.chance(0.33) ? external : enabled);
  if (!key) return undefined;
  const alias = loop.rng.pick(loop.ledger.aliasesOf(loop.index).filter((a) => a.target.acked === key.keyId));
  const name = alias && loop.rng.chance(0.5) ? alias.aliasName : loop.rng.chance(0.5) ? key.arn : key.keyId;
  return { key, name };
}

function encryptionContext(loop: ClientLoop, serial: number): Record<string, string> {
  const context: Record<string, string> = { round: String(loop.round), loop: String(loop.index), serial: String(serial) };
  if (loop.rng.chance(0.5)) context[`extra-${loop.rng.hex(2)}`] = loop.rng.hex(4);
  return context;
}

function encrypt(loop: ClientLoop): Promise<unknown> | undefined {
  const target = usableKey(loop);
  return target && encryptUnder(loop, target);
}

async function encryptUnder(loop: ClientLoop, target: { key: KeyEntry; name: string }): Promise<unknown> {
  const serial = loop.ledger.nextSerial();
  const context = encryptionContext(loop, serial);
  const plaintext = loop.rng.bytes(loop.rng.int(1, 64));
  const source = `Encrypt #${serial} under ${target.name} in round ${loop.round}`;
  const output = await loop.caller.read(source, () =>
    loop.client.send(new EncryptCommand({ KeyId: target.name, Plaintext: plaintext, EncryptionContext: context })),
  );
  if (!output) return undefined;
  if (output.KeyId !== target.key.arn || !output.CiphertextBlob) {
    loop.caller.violation(`${source}: answered KeyId ${output.KeyId}, expected ${target.key.arn}`);
    return undefined;
  }
  loop.ledger.ciphertexts.push({ source, keyId: target.key.keyId, arn: target.key.arn, blob: output.CiphertextBlob, context, plaintext, checked: false });
  return output;
}

function generateDataKeyPair(loop: ClientLoop): Promise<unknown> | undefined {
  const target = usableKey(loop);
  return target && generateDataKeyPairUnder(loop, target);
}

async function generateDataKeyPairUnder(loop: ClientLoop, target: { key: KeyEntry; name: string }): Promise<unknown> {
  const serial = loop.ledger.nextSerial();
  const context = encryptionContext(loop, serial);
  const spec = loop.rng.pick(KEY_PAIR_SPECS) ?? 'ECC_NIST_P256';
  const source = `GenerateDataKeyPair ${spec} #${serial} under ${target.name} in round ${loop.round}`;
  const output = await loop.caller.read(source, () =>
    loop.client.send(new GenerateDataKeyPairCommand({ KeyId: target.name, KeyPairSpec: spec, EncryptionContext: context })),
  );
  if (!output) return undefined;
  if (output.KeyId !== target.key.arn || !output.PrivateKeyCiphertextBlob || !output.PrivateKeyPlaintext) {
    loop.caller.violation(`${source}: answered KeyId ${output.KeyId}, expected ${target.key.arn}, or no private key`);
    return undefined;
  }
  loop.ledger.ciphertexts.push({
    source,
    keyId: target.key.keyId,
    arn: target.key.arn,
    blob: output.PrivateKeyCiphertextBlob,
    context,
    plaintext: output.PrivateKeyPlaintext,
    checked: false,
  });
  return output;
}

/** What a loop does next, by weight; an action returns undefined when nothing in the ledger fits it. */
const ACTIONS: readonly { weight: number; run: Action }[] = [
  { weight: 2.5, run: (loop) => createKey(loop, loop.rng.chance(0.3)) },
  { weight: 2, run: importMaterial },
  { weight: 1.5, run: createAlias },
  { weight: 2, run: updateAlias },
  { weight: 1, run: deleteAlias },
  { weight: 3, run: enableOrDisable },
  { weight: 1, run: scheduleDeletion },
  { weight: 1.5, run: cancelDeletion },
  { weight: 2, run: tagKey },
  { weight: 1.5, run: untagKey },
  { weight: 3, run: encrypt },
  { weight: 1.5, run: generateDataKeyPair },
  { weight: 1, run: createGrant },
  { weight: 0.5, run: (loop) => rotateKey(loop, false) },
  { weight: 2.5, run: (loop) => rotateKey(loop, true) },
  { weight: 0.4, run: (loop) => deleteGrant(loop, 'retire') },
  { weight: 0.4, run: (loop) => deleteGrant(loop, 'revoke') },
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, a) => sum + a.weight, 0);

function nextAction(rng: Random): Action {
  let point = rng.next() * TOTAL_WEIGHT;
  for (const action of ACTIONS) {
    point -= action.weight;
    if (point < 0) return action.run;
  }
  return (loop) => createKey(loop);
}

/** The next request: a few draws for an action that fits the loop's keys, else a new key. */
function nextRequest(loop: ClientLoop): Promise<unknown> {
  for (let draw = 0; draw < 5; draw++) {
    const request = nextAction(loop.rng)(loop);
    if (request) return request;
  }
  return createKey(loop);
}

async function runLoop(loop: ClientLoop, killing: () => boolean): Promise<void> {
  while (!killing() && !loop.caller.stopped) await nextRequest(loop);
}

export interface WorkloadOptions {
  url: string;
  ledger: Ledger;
  round: number;
  rng: Random;
  clientLoops: number;
  /** The first loop's index (loops own the keys they create, by index); default 0. */
  firstLoopIndex?: number;
  violations: string[];
  /** True once the harness is about to kill the server: loops send nothing more. */
  killing: () => boolean;
}

/** Runs the client loops until `killing()` or until the server stops answering. */
export async function runWorkload(options: WorkloadOptions): Promise<void> {
  const loops = Array.from(
    { length: options.clientLoops },
    (_, i) => {
      const index = (options.firstLoopIndex ?? 0) + i;
      return new ClientLoop(index, options.round, kmsClient(options.url), options.rng.derive(index), options.ledger, options.violations, options.killing);
    },
  );
  try {
    await Promise.all(loops.map((loop) => runLoop(loop, options.killing)));
  } finally {
    for (const loop of loops) loop.client.destroy();
  }
}
