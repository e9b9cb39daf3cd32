/**
 * Seeding: keys, aliases and grants from a file (`trent serve --seed FILE`, TRENT_SEED, `seed`
 * in the config), made on every start if missing, so a test suite or a developer's machine
 * finds the same keys, ids and aliases after a fresh start.
 *
 *   keys:
 *     - keyId: 0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab   # optional; else derived from region and position
 *       region: us-east-1                               # optional; the server's region otherwise
 *       description: app key                            # and keySpec, keyUsage, tags, policy as in CreateKey
 *       keyMaterial: <base64 of 32 bytes>               # optional, SYMMETRIC_DEFAULT only, development only
 *     - keyId: mrk-1234abcd12ab34cd56ef1234567890ab     # multi-Region: an mrk- id (or derived in that form)
 *       multiRegion: true
 *       replicaRegions: [eu-west-1]                     # replicas made through ReplicateKey's code
 *   aliases:
 *     - aliasName: alias/app
 *       targetKeyId: 0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab
 *   grants:
 *     - keyId: 0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab   # and CreateGrant's other members
 *       granteePrincipal: arn:aws:iam::111122223333:role/app
 *       operations: [Encrypt, Decrypt]
 *
 * Members are CreateKey's, CreateAlias's and CreateGrant's with a lower-case first letter, and go
 * through the same validation and the same operation code as those requests, made as the root
 * of the server's account. What exists is left alone: an entry that differs from what is stored
 * (a description, tags, policy, material, an alias's target, a named grant's terms) is reported
 * in the log, never rewritten, so a seed file cannot silently change a key that holds data.
 *
 * Several servers on one PostgreSQL database may start at once with one seed: each checks, then
 * makes what is missing, and another may make it in between. A making that fails is followed by
 * a second look; what is found then is compared as if it had been found first (ensure()).
 *
 * Fixed key material makes a key whose ciphertexts anyone with the seed file can decrypt: it
 * exists so that ciphertexts in a project's test fixtures stay decryptable across fresh starts,
 * and every start that uses it logs a warning saying so.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml, YAMLError } from 'yaml';
import { ConfigError, type Config } from '../config.js';
import { sha256Hex } from '../crypto/sha256.js';
import { GrantTokenSigner } from '../crypto/grant-token.js';
import { accessControlFor, accountRoot } from '../domain/access.js';
import { keyIdOfArn } from '../domain/arn.js';
import { isPrimary } from '../domain/multi-region.js';
import { systemClock } from '../domain/clock.js';
import { Identities } from '../domain/identities.js';
import { KeyMaterials } from '../domain/key-material.js';
import { KeyUsageTracker } from '../domain/key-usage.js';
import { KmsError } from '../errors.js';
import { createKey } from '../operations/create-key.js';
import type { RequestContext, Services } from '../operations/context.js';
import { createRegistry } from '../operations/index.js';
import type { CreateKeyRequest } from '../kms-types.generated.js';
import { kmsModel } from '../protocol/kms-model.generated.js';
import { validateInput } from '../protocol/validate.js';
import type { GrantRecord, KeyRecord } from '../storage/types.js';
import { openDataDir, type OpenedDataDir } from './data-dir.js';
import { createKeyPairPool } from './server.js';

type Entry = Record<string, unknown>;

export interface Seed {
  /** Where it came from, for messages. */
  source: string;
  keys: Entry[];
  aliases: Entry[];
  grants: Entry[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MULTI_REGION_KEY_ID = /^mrk-[0-9a-f]{32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Reads a seed file (YAML, so JSON too); every problem is a ConfigError naming the file. */
export function readSeed(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read seed file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    // Say where, not what: the line may hold key material.
    if (!(err instanceof YAMLError)) throw err;
    const line = err.linePos?.[0].line;
    throw new ConfigError(`seed file ${path} is not valid YAML or JSON (${err.code})${line !== undefined ? ` at line ${line}` : ''}`);
  }
  return seedOf(parsed ?? {}, path);
}

/** A seed given as data (a file's content, or a mapping under `seed:` in the config). */
export function seedOf(parsed: unknown, source: string): Seed {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`seed ${source} must be a mapping with keys, aliases and grants`);
  const document = parsed as Entry;
  for (const section of Object.keys(document)) {
    if (!['keys', 'aliases', 'grants'].includes(section)) throw new ConfigError(`seed ${source}: unknown section '${section}' (known: keys, aliases, grants)`);
  }
  const list = (name: string): Entry[] => {
    const value = document[name] ?? [];
    if (!Array.isArray(value) || value.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
      throw new ConfigError(`seed ${source}: ${name} must be a list of mappings`);
    }
    return value as Entry[];
  };
  return { source, keys: list('keys'), aliases: list('aliases'), grants: list('grants') };
}

/** The seed a configuration names: a path (relative to the config file when written there), or inline. */
export function seedFromConfig(config: Config): Seed | undefined {
  if (config.seed === undefined) return undefined;
  if (typeof config.seed.value !== 'string') return seedOf(config.seed.value, config.seed.source);
  const path = config.seed.relativeTo !== undefined ? resolve(config.seed.relativeTo, config.seed.value) : config.seed.value;
  return readSeed(path);
}

/**
 * `{ keyId, constraints: { encryptionContextSubset } }` to `{ KeyId, Constraints: {
 * EncryptionContextSubset } }`: the members of the operation's input shape, at every depth
 * (a map's own keys, an encryption context's, are left as written). Refuses unknown members.
 */
function requestOf(entry: Entry, operation: string, own: readonly string[], where: string): Record<string, unknown> {
  const lower = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
  const walk = (value: unknown, shapeName: string, path: string): unknown => {
    const shape = kmsModel.shapes[shapeName];
    if (shape?.type === 'list' && Array.isArray(value)) return value.map((item, i) => walk(item, shape.member, `${path}[${i}]`));
    if (shape?.type === 'map' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, shape.value, `${path}.${k}`)]));
    }
    if (shape?.type !== 'structure' || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(value as Entry)) {
      if (path === '' && own.includes(name)) continue;
      const memberName = Object.keys(shape.members).find((m) => m === name || lower(m) === name);
      if (memberName === undefined) {
        const known = [...(path === '' ? own : []), ...Object.keys(shape.members).map(lower)];
        throw new ConfigError(`${where}: unknown member '${path === '' ? name : `${path.slice(1)}.${name}`}' (known: ${known.join(', ')})`);
      }
      out[memberName] = walk(member, shape.members[memberName] ?? '', `${path}.${lower(memberName)}`);
    }
    return out;
  };
  return walk(entry, kmsModel.operations[operation]?.input ?? '', '') as Record<string, unknown>;
}

/**
 * The key id of an entry without one: stable for its account, region and place in the file;
 * `mrk-` and 32 hex digits of the same hash for a multi-Region key.
 */
function derivedKeyId(account: string, region: string, index: number, multiRegion: boolean): string {
  const hex = sha256Hex(`trent seed key\0${account}\0${region}\0${index}`);
  if (multiRegion) return `mrk-${hex.slice(0, 32)}`;
  // A version-4-shaped UUID (as AWS's key ids are), its bits from the hash instead of randomness.
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The key id in a key id or key ARN (`arn:aws:kms:us-east-1:111122223333:key/<id>`). */
function keyIdOf(text: string): string {
  return keyIdOfArn(text) ?? text;
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

export interface SeedReport {
  created: string[];
  unchanged: string[];
  /** Entries that differ from what is stored, with what differs; never rewritten. */
  differing: { entry: string; differences: string[] }[];
}

class Seeder {
  readonly report: SeedReport = { created: [], unchanged: [], differing: [] };
  private readonly registry = createRegistry(kmsModel);

  constructor(
    private readonly services: Services,
    private readonly logger: Logger,
    private readonly defaults: { account: string; region: string },
  ) {}

  private context(operation: string, region: string): RequestContext {
    const op = this.registry.get(operation);
    if (!op) throw new Error(`operation ${operation} missing from the registry`);
    return {
      principal: accountRoot(this.defaults.account),
      scope: { account: this.defaults.account, region },
      secureTransport: false,
      requestId: `seed-${operation}`,
      operation: op,
      grantTokens: [],
      recipient: undefined,
      tokenGrants: [],
      services: this.services,
    };
  }

  private regionOf(entry: Entry, where: string): string {
    const region = entry.region ?? this.defaults.region;
    if (typeof region !== 'string' || !REGION.test(region)) throw new ConfigError(`${where}: region must be a region name like us-east-1`);
    return region;
  }

  /** A multi-Region key's replicaRegions: region names, each once, none the primary's. */
  private replicaRegionsOf(entry: Entry, primaryRegion: string, multiRegion: boolean, where: string): string[] {
    if (entry.replicaRegions === undefined) return [];
    if (!multiRegion) throw new ConfigError(`${where}: replicaRegions is for a multi-Region key (multiRegion: true)`);
    const regions = entry.replicaRegions;
    if (!Array.isArray(regions) || regions.some((r) => typeof r !== 'string' || !REGION.test(r))) {
      throw new ConfigError(`${where}: replicaRegions must be a list of region names like eu-west-1`);
    }
    const names = regions as string[];
    if (names.includes(primaryRegion) || new Set(names).size !== names.length) {
      throw new ConfigError(`${where}: replicaRegions must name each Region once, and not the key's own Region ${primaryRegion}`);
    }
    return names;
  }

  private differs(entry: string, differences: string[]): void {
    if (differences.length === 0) {
      this.report.unchanged.push(entry);
      return;
    }
    this.report.differing.push({ entry, differences });
    this.logger.warn({ seed: entry, differences }, `the seed entry for ${entry} differs from what is stored (${differences.join(', ')}); the stored one is kept, not rewritten`);
  }

  async key(entry: Entry, index: number, source: string): Promise<void> {
    const where = `seed ${source}: keys[${index}]`;
    const region = this.regionOf(entry, where);
    const multiRegion = entry.multiRegion === true;
    const given = entry.keyId ?? derivedKeyId(this.defaults.account, region, index, multiRegion);
    if (typeof given !== 'string' || !(multiRegion ? MULTI_REGION_KEY_ID : UUID).test(given)) {
      if (multiRegion) throw new ConfigError(`${where}: keyId of a multi-Region key must be mrk- and 32 lower-case hex digits`);
      throw new ConfigError(`${where}: keyId must be a key id (a lower-case UUID${String(given).startsWith('mrk-') ? '; an mrk- id is for a key with multiRegion: true' : ''})`);
    }
    const keyId: string = given;
    const replicaRegions = this.replicaRegionsOf(entry, region, multiRegion, where);
    const request = requestOf(entry, 'CreateKey', ['keyId', 'region', 'keyMaterial', 'replicaRegions'], where);
    // Conveniences of a hand-written file: tags as a mapping, a policy as a document.
    if (request.Tags !== null && typeof request.Tags === 'object' && !Array.isArray(request.Tags)) {
      request.Tags = Object.entries(request.Tags as Entry).map(([TagKey, TagValue]) => ({ TagKey, TagValue: String(TagValue) }));
    }
    if (request.Policy !== undefined && typeof request.Policy === 'object') request.Policy = JSON.stringify(request.Policy);
    let material: Buffer | undefined;
    if (entry.keyMaterial !== undefined) {
      const text = String(entry.keyMaterial);
      material = Buffer.from(text, 'base64');
      if (material.length !== 32 || material.toString('base64') !== text.trim()) throw new ConfigError(`${where}: keyMaterial must be base64 of exactly 32 bytes (openssl rand -base64 32)`);
    }
    const name = `key ${keyId} (${region})`;
    const input = this.validated('CreateKey', request, where) as CreateKeyRequest;
    if (material !== undefined) {
      this.logger.warn(
        { seed: name },
        `DEVELOPMENT ONLY: ${name} uses fixed key material from the seed file; anyone who has the file can decrypt everything encrypted under this key. Never use it for real data.`,
      );
    }
    const primaryRegion = multiRegion ? region : undefined;
    const compared = (inRegion: string) => async () => {
      const stored = await this.services.store.getKey({ account: this.defaults.account, region: inRegion }, keyId);
      return stored && (await this.keyDifferences(stored, input, material, primaryRegion));
    };
    if (!multiRegion) {
      const create = () => createKey(input, this.context('CreateKey', region), { keyId, ...(material && { symmetricMaterial: material }) });
      return this.ensure(name, () => this.run(where, create), compared(region));
    }
    // The entry's Region first (the primary, unless UpdatePrimaryRegion moved it), then each replica.
    for (const inRegion of [region, ...replicaRegions]) {
      const make = () => this.run(where, () => this.makeMultiRegionRecord(keyId, inRegion, input, material, where));
      await this.ensure(`key ${keyId} (${inRegion})`, make, compared(inRegion));
    }
  }

  /**
   * A missing regional record of a seeded multi-Region key: the primary through CreateKey when
   * the key has no record in any Region, else a replica of its current primary through
   * ReplicateKey (the operation's own code: the same material, so either Region decrypts what the
   * other encrypts), with the entry's description, tags and policy.
   */
  private async makeMultiRegionRecord(keyId: string, region: string, input: CreateKeyRequest, material: Buffer | undefined, where: string): Promise<unknown> {
    const records = await this.services.store.keyRegions(this.defaults.account, keyId);
    // Made since it was found missing (another server): ensure() compares it.
    if (records.some((r) => r.region === region)) throw new Error(`key ${keyId} (${region}) exists now`);
    if (records.length === 0) {
      return createKey(input, this.context('CreateKey', region), { keyId, ...(material && { symmetricMaterial: material }) });
    }
    const primary = records.find(isPrimary);
    if (!primary) throw new ConfigError(`${where}: the multi-Region key ${keyId} has no primary to replicate to ${region} from`);
    const { Description, Tags, Policy, BypassPolicyLockoutSafetyCheck } = input;
    const request = { KeyId: keyId, ReplicaRegion: region, Description, Tags, Policy, BypassPolicyLockoutSafetyCheck };
    return this.handle('ReplicateKey', Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)), primary.region);
  }

  /**
   * Makes what an entry names unless `compared` finds it (then reports how it differs). When the
   * making fails and `compared` finds it after all, another server sharing the database made it
   * between the check and the making (two servers starting with one seed): it is treated as
   * found, and start-up goes on.
   */
  private async ensure(name: string, make: () => Promise<unknown>, compared: () => Promise<string[] | undefined>): Promise<void> {
    const before = await compared();
    if (before) return this.differs(name, before);
    try {
      await make();
    } catch (err) {
      const after = await compared();
      if (!after) throw err;
      this.logger.info({ seed: name }, `${name} was made by another server while this one seeded; it is compared, not made`);
      return this.differs(name, after);
    }
    this.report.created.push(name);
  }

  /**
   * How a stored regional record differs from the entry; `primaryRegion` is the entry's Region
   * for a multi-Region key, undefined for a single-Region one.
   */
  private async keyDifferences(stored: KeyRecord, input: CreateKeyRequest, material: Buffer | undefined, primaryRegion: string | undefined): Promise<string[]> {
    const differences: string[] = [];
    if (stored.primaryRegion !== primaryRegion) differences.push(primaryRegion !== undefined && stored.primaryRegion !== undefined ? 'primaryRegion' : 'multiRegion');
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    if (spec !== stored.keySpec) differences.push('keySpec');
    if (input.KeyUsage !== undefined && input.KeyUsage !== stored.keyUsage) differences.push('keyUsage');
    if ((input.Description ?? '') !== stored.description) differences.push('description');
    const tagText = (tags: { TagKey: string; TagValue: string }[]) => JSON.stringify([...tags].sort((a, b) => a.TagKey.localeCompare(b.TagKey)));
    if (tagText(input.Tags ?? []) !== tagText(stored.tags)) differences.push('tags');
    if (input.Policy !== undefined && !sameJson(input.Policy, stored.policy)) differences.push('policy');
    if (material !== undefined) {
      // The stored key's first material, compared in this process only; neither is logged.
      const current = material.length === 32 && stored.currentMaterialVersion > 0 ? await this.services.materials.symmetric(stored, 1) : undefined;
      const bytes = current?.secret.export();
      if (!bytes || !bytes.equals(material)) differences.push('keyMaterial');
      bytes?.fill(0);
    }
    return differences;
  }

  async alias(entry: Entry, index: number, source: string): Promise<void> {
    const where = `seed ${source}: aliases[${index}]`;
    const region = this.regionOf(entry, where);
    const request = this.validated('CreateAlias', requestOf(entry, 'CreateAlias', ['region'], where), where) as { AliasName: string; TargetKeyId: string };
    const name = `${request.AliasName} (${region})`;
    const compared = async () => {
      const stored = await this.services.store.getAlias({ account: this.defaults.account, region }, request.AliasName);
      return stored && (stored.targetKeyId === keyIdOf(request.TargetKeyId) ? [] : ['targetKeyId']);
    };
    await this.ensure(name, () => this.run(where, () => this.handle('CreateAlias', request, region)), compared);
  }

  async grant(entry: Entry, index: number, source: string): Promise<void> {
    const where = `seed ${source}: grants[${index}]`;
    const region = this.regionOf(entry, where);
    const request = this.validated('CreateGrant', requestOf(entry, 'CreateGrant', ['region'], where), where);
    const keyId = keyIdOf(String(request.KeyId));
    const name = `grant ${request.Name !== undefined ? `'${String(request.Name)}' ` : ''}on ${keyId} (${region})`;
    const terms = (g: { granteePrincipal?: unknown; retiringPrincipal?: unknown; operations?: unknown; constraints?: unknown }) =>
      JSON.stringify([g.granteePrincipal ?? null, g.retiringPrincipal ?? null, [...((g.operations as string[]) ?? [])].sort(), g.constraints ?? null]);
    const wanted = terms({ granteePrincipal: request.GranteePrincipal, retiringPrincipal: request.RetiringPrincipal, operations: request.Operations, constraints: request.Constraints });
    const compared = async () => {
      const existing = await this.services.store.listGrants({ account: this.defaults.account, region }, keyId, { limit: 10_000 });
      const stored = existing.find((g: GrantRecord) => (request.Name !== undefined ? g.name === request.Name : g.name === undefined && terms(g) === wanted));
      return stored && (terms(stored) === wanted ? [] : ['grant terms']);
    };
    // A named grant is made once however many servers race (the store's CreateGrant retry rule);
    // two servers that both find an unnamed one missing each make one (README, Seeding).
    await this.ensure(name, () => this.run(where, () => this.handle('CreateGrant', request, region)), compared);
  }

  private validated(operation: string, request: Record<string, unknown>, where: string): Record<string, unknown> {
    return this.run(where, () => validateInput(kmsModel, operation, request));
  }

  private handle(operation: string, input: Record<string, unknown>, region: string): Promise<object> {
    const ctx = this.context(operation, region);
    return ctx.operation.handle(input, ctx);
  }

  /** Runs one step; the AWS error it throws becomes a ConfigError naming the seed entry. */
  private run<T>(where: string, step: () => T): T {
    const failed = (err: unknown): never => {
      if (err instanceof KmsError) throw new ConfigError(`${where}: ${err.type}: ${err.message}`);
      throw err;
    };
    try {
      const result = step();
      return (result instanceof Promise ? result.catch(failed) : result) as T;
    } catch (err) {
      return failed(err);
    }
  }
}

/**
 * Applies a seed to the data directory of `config`, before the server (or its workers) start:
 * creates what is missing, reports what differs. Throws a ConfigError for an entry that cannot
 * be made (a bad value, an alias to a key that does not exist). `opened` is the data directory
 * already opened (tests that seed through a store of their own); it is closed when done.
 */
export async function applySeed(config: Config, seed: Seed, logger: Logger, opened?: OpenedDataDir): Promise<SeedReport> {
  const { rootKey, store } = opened ?? (await openDataDir(config));
  const keyPairs = createKeyPairPool({ ...config, keyPairPool: { all: 0, perSpec: {} } }, logger);
  try {
    const services: Services = {
      store,
      materials: new KeyMaterials(store, rootKey),
      keyPairs,
      grantTokenSigner: GrantTokenSigner.fromRootKey(rootKey),
      access: accessControlFor(store, systemClock, config.mode === 'authenticated' ? new Identities(config.accounts) : undefined),
      clock: systemClock,
      config: { defaultAccount: config.account, defaultRegion: config.region, allowSm2Everywhere: config.allowSm2Everywhere },
      logger,
      // Seeding makes keys, aliases and grants: no cryptographic use to note, no Recipient.
      keyUsage: new KeyUsageTracker(store, systemClock),
      attestationRoots: [],
    };
    const seeder = new Seeder(services, logger, { account: config.account, region: config.region });
    for (const [i, entry] of seed.keys.entries()) await seeder.key(entry, i, seed.source);
    for (const [i, entry] of seed.aliases.entries()) await seeder.alias(entry, i, seed.source);
    for (const [i, entry] of seed.grants.entries()) await seeder.grant(entry, i, seed.source);
    const { report } = seeder;
    logger.info({ seed: seed.source, created: report.created.length, unchanged: report.unchanged.length, differing: report.differing.length }, 'seed applied');
    return report;
  } finally {
    await keyPairs.close();
    await store.close();
  }
}

