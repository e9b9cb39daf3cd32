/**
 * Where the seed comes from: `--seed`, TRENT_SEED, or `seed` in the config file (a path relative
 * to that file, or the seed itself as a mapping), highest first; and how a seed document is read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { readSeed, seedFromConfig, seedOf } from '../../src/server/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-seed-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('seed setting', () => {
  const configFile = join(dir, 'trent.yaml');
  writeFileSync(join(dir, 'beside-config.yaml'), 'keys:\n  - description: from the file beside the config\n');
  writeFileSync(configFile, 'seed: beside-config.yaml\n');

  it('is absent by default', () => assert.equal(loadConfig({}, {}).seed, undefined));
  it('in the config file, a path relative to the config file', () => {
    const seed = seedFromConfig(loadConfig({ config: configFile }, {}));
    assert.equal(seed?.keys[0]?.description, 'from the file beside the config');
  });
  it('TRENT_SEED outranks the file, --seed outranks both', () => {
    assert.deepEqual(loadConfig({ config: configFile }, { TRENT_SEED: 'env.yaml' }).seed, { value: 'env.yaml', source: 'TRENT_SEED' });
    assert.deepEqual(loadConfig({ config: configFile, seed: 'flag.yaml' }, { TRENT_SEED: 'env.yaml' }).seed, { value: 'flag.yaml', source: '--seed' });
  });
  it('inline in the config file', () => {
    const inline = join(dir, 'inline.yaml');
    writeFileSync(inline, 'seed:\n  aliases:\n    - aliasName: alias/a\n      targetKeyId: k\n');
    assert.equal(seedFromConfig(loadConfig({ config: inline }, {}))?.aliases[0]?.aliasName, 'alias/a');
  });
  it('refused: a seed that is neither a path nor a mapping', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'seed: [1, 2]\n');
    assert.throws(() => loadConfig({ config: bad }, {}), ConfigError);
  });
});

describe('seed documents', () => {
  it('JSON is read as well as YAML', () => {
    const file = join(dir, 'seed.json');
    writeFileSync(file, JSON.stringify({ keys: [{ keyId: '0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab' }] }));
    assert.equal(readSeed(file).keys.length, 1);
  });
  it('an empty file is an empty seed', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    assert.deepEqual(readSeed(file), { source: file, keys: [], aliases: [], grants: [] });
  });
  for (const [name, document, message] of [
    ['a list at the top', [1], /must be a mapping/],
    ['an unknown section', { key: [] }, /unknown section 'key'/],
    ['a section that is not a list', { keys: { a: 1 } }, /keys must be a list of mappings/],
    ['an entry that is not a mapping', { aliases: ['alias/a'] }, /aliases must be a list of mappings/],
  ] as const) {
    it(`refused: ${name}`, () => assert.throws(() => seedOf(document, 'test'), message));
  }
  it('refused without quoting the file: invalid YAML', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'keys:\n  - keyMaterial: "c2VjcmV0\n');
    assert.throws(() => readSeed(file), (err) => err instanceof ConfigError && !err.message.includes('c2VjcmV0'));
  });
});
