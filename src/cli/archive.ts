/**
 * `trent export --out FILE` and `trent import FILE`: an archive of everything a store holds
 * (keys with their tags and policies, every key material version, aliases and grants), to move
 * between SQLite and PostgreSQL, or to keep as a backup. They take the same --data-dir,
 * --config, --database-url and TRENT_* settings as `trent serve`, and work with the server
 * stopped or running (a running server sees imported records at once, by its store's change
 * signal).
 *
 * Key usage (GetKeyLastUsage) is not archived: an imported key's use is tracked from its import.
 *
 * Key material stays wrapped by the root key: the archive holds the wrapped bytes and the root
 * key's check value (crypto/root-key.ts), never a key. Import refuses an archive made under
 * another root key than the one the target store uses, before writing anything, and proves
 * the root key on a stored material too. Import is idempotent: a key, alias or grant already
 * present (by key id, alias name, grant id) is left as it is and counted as present, so a second
 * import of one archive changes nothing.
 *
 * Format (JSON, buffers in base64): { format: "trent-archive", version: 2, exportedAt,
 * rootKeyCheck, keys: [{ key, materials: [...] }], aliases: [...], grants: [...] }. Each entry of
 * `keys` is one regional key record (a multi-Region key has one per Region, with one key id)
 * with its own material versions, each naming its Region. Version 1, written before keys had
 * Regional records of their own, still imports: its materials carry no Region and are the
 * record's they are listed with.
 */
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { fingerprintOf, type RootKey } from '../crypto/root-key.js';
import type { AliasRecord, GrantRecord, KeyLocation, KeyMaterialRecord, KeyRecord, Scope, Store } from '../storage/types.js';

export const ARCHIVE_FORMAT = 'trent-archive';
export const ARCHIVE_VERSION = 2;
/** Archive versions import reads: 1 (materials without a Region) and the current one. */
const READABLE_VERSIONS: readonly number[] = [1, ARCHIVE_VERSION];
const PAGE = 500;

type Base64<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] extends Buffer | undefined ? string : never };

export interface ArchivedKey {
  key: Base64<KeyRecord, 'publicKey'> | Omit<KeyRecord, 'publicKey'>;
  /** Version 1 archives' materials have no region: they are the listed key record's. */
  materials: Array<Base64<Omit<KeyMaterialRecord, 'region'>, 'wrapped'> & { region?: string }>;
}

export interface Archive {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  exportedAt: string;
  rootKeyCheck: string;
  keys: ArchivedKey[];
  aliases: AliasRecord[];
  grants: GrantRecord[];
}

export interface ImportReport {
  keys: { added: number; present: number };
  aliases: { added: number; present: number };
  grants: { added: number; present: number };
}

/** An archive that cannot be imported: the message says why, and nothing was written. */
export class ArchiveError extends Error {}

const scopeKey = (scope: Scope) => `${scope.account}/${scope.region}`;

/** Reads everything in `store` into an archive, in one transaction so it is one moment's state. */
export async function exportArchive(store: Store, rootKey: RootKey, now: Date = new Date()): Promise<Archive> {
  return store.transaction(async (tx) => {
    const keys: ArchivedKey[] = [];
    const aliases: AliasRecord[] = [];
    const grants: GrantRecord[] = [];
    const scopes = new Map<string, Scope>();
    for (let after: KeyLocation | undefined; ; ) {
      const page = await tx.listAllKeys({ limit: PAGE, ...(after !== undefined && { after }) });
      for (const key of page) {
        scopes.set(scopeKey(key), { account: key.account, region: key.region });
        // Every version: older ones still decrypt, imported ones may be re-imported.
        const materials: ArchivedKey['materials'] = [];
        for (let versionAfter = 0; ; ) {
          const versions = await tx.listMaterials(key, { limit: PAGE, after: versionAfter });
          materials.push(...versions.map((m) => ({ ...m, wrapped: m.wrapped.toString('base64') })));
          if (versions.length < PAGE) break;
          versionAfter = versions[versions.length - 1]?.version ?? versionAfter;
        }
        const { publicKey, ...rest } = key;
        keys.push({ key: publicKey ? { ...rest, publicKey: publicKey.toString('base64') } : rest, materials });
        for (let grantAfter: string | undefined; ; ) {
          const grantPage = await tx.listGrants(key, key.keyId, { limit: PAGE, ...(grantAfter !== undefined && { after: grantAfter }) });
          grants.push(...grantPage);
          if (grantPage.length < PAGE) break;
          grantAfter = grantPage[grantPage.length - 1]?.grantId;
        }
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1] as KeyRecord;
      after = { keyId: last.keyId, region: last.region };
    }
    for (const scope of scopes.values()) {
      for (let after: string | undefined; ; ) {
        const page = await tx.listAliases(scope, { limit: PAGE, ...(after !== undefined && { after }) });
        aliases.push(...page);
        if (page.length < PAGE) break;
        after = page[page.length - 1]?.aliasName;
      }
    }
    return {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      exportedAt: now.toISOString(),
      rootKeyCheck: rootKey.checkValue(),
      keys,
      aliases,
      grants,
    };
  });
}

/** Checks an archive's shape enough that import never writes half a record. */
export function parseArchive(text: string): Archive {
  let archive: Partial<Archive>;
  try {
    archive = JSON.parse(text) as Partial<Archive>;
  } catch {
    throw new ArchiveError('the file is not a Trent archive (not JSON)');
  }
  if (archive === null || typeof archive !== 'object' || archive.format !== ARCHIVE_FORMAT) {
    throw new ArchiveError('the file is not a Trent archive (no "format": "trent-archive")');
  }
  if (typeof archive.version !== 'number' || !READABLE_VERSIONS.includes(archive.version)) {
    throw new ArchiveError(`the archive is version ${String(archive.version)}; this Trent reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  if (typeof archive.rootKeyCheck !== 'string' || !Array.isArray(archive.keys) || !Array.isArray(archive.aliases) || !Array.isArray(archive.grants)) {
    throw new ArchiveError('the archive is incomplete: it needs rootKeyCheck, keys, aliases and grants');
  }
  return archive as Archive;
}

function keyFromArchive(archived: ArchivedKey): KeyRecord {
  const { publicKey, ...rest } = archived.key as KeyRecord & { publicKey?: string };
  return publicKey === undefined ? { ...rest } : { ...rest, publicKey: Buffer.from(publicKey, 'base64') };
}

/** A material of the archived key record `key`: its Region is the record's (version 1 had none). */
function materialFromArchive(material: ArchivedKey['materials'][number], key: KeyLocation): KeyMaterialRecord {
  return { ...material, region: key.region, wrapped: Buffer.from(material.wrapped, 'base64') };
}

/**
 * Writes what the archive holds and the store lacks, in one transaction. Refuses, writing
 * nothing, an archive whose root key is not `rootKey` (the target store's).
 */
export async function importArchive(store: Store, rootKey: RootKey, archive: Archive): Promise<ImportReport> {
  if (archive.rootKeyCheck !== rootKey.checkValue()) {
    throw new ArchiveError(
      `the archive's key material is wrapped under another root key (fingerprint ${fingerprintOf(archive.rootKeyCheck)}) than this ` +
        `store's (fingerprint ${rootKey.fingerprint()}): the root key does not match. Import with the root key the archive ` +
        `was exported with (TRENT_ROOT_KEY, or that server's root.key in --data-dir)`,
    );
  }
  // The check value could be edited: prove the key on the material itself before writing.
  const sample = archive.keys.flatMap((k) => k.materials).find((m) => m.wrapped.length > 0);
  if (sample) {
    try {
      rootKey.unwrap(Buffer.from(sample.wrapped, 'base64'), sample.keyId, sample.version).fill(0);
    } catch {
      throw new ArchiveError("the archive's key material does not unwrap under this store's root key: the root key does not match");
    }
  }
  const report: ImportReport = { keys: { added: 0, present: 0 }, aliases: { added: 0, present: 0 }, grants: { added: 0, present: 0 } };
  return store.transaction(async (tx) => {
    for (const archived of archive.keys) {
      const key = keyFromArchive(archived);
      if (await tx.getKey(key, key.keyId)) {
        report.keys.present++;
        continue;
      }
      const materials = archived.materials.map((m) => materialFromArchive(m, key)).sort((a, b) => a.version - b.version);
      const [first, ...later] = materials;
      // The first version with the key, each later one as a new current version (moving the
      // revision), then the record as archived, so its current version is what it was.
      await tx.createKey({ ...key, currentMaterialVersion: first?.version ?? 0, revision: 1 }, first);
      let revision = 1;
      for (const material of later) {
        if (!(await tx.addMaterial(key, material, revision))) throw new ArchiveError(`key ${key.keyId}: material version ${material.version} could not be added`);
        revision++;
      }
      if (!(await tx.updateKey(key, revision))) throw new ArchiveError(`key ${key.keyId} changed while it was imported`);
      report.keys.added++;
    }
    for (const alias of archive.aliases) {
      if (await tx.createAlias(alias)) report.aliases.added++;
      else report.aliases.present++;
    }
    for (const grant of archive.grants) {
      if (await tx.getGrant(grant, grant.keyId, grant.grantId)) {
        report.grants.present++;
        continue;
      }
      const stored = await tx.createGrant(grant);
      if (stored?.grantId === grant.grantId) report.grants.added++;
      else report.grants.present++; // the same named grant under another id: AWS's retry rule
    }
    return report;
  });
}

/** Writes the archive to `path` (mode 0600, replaced whole: a crash leaves the old file or the new). */
export function writeArchive(path: string, archive: Archive): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(archive, null, 1)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function readArchive(path: string): Archive {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ArchiveError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseArchive(text);
}
