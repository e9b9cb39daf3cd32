/**
 * The trusted attestation roots setting: `attestationRoots` in the YAML config (paths relative
 * to the file) and TRENT_ATTESTATION_ROOTS (comma-separated, relative to the working
 * directory); every file is read and parsed at start, so a missing or bad one stops start-up
 * with one line. Without either, the AWS Nitro Enclaves root.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AWS_NITRO_ROOT_PEM, loadAttestationRoots } from '../../src/domain/attestation-roots.js';
import { newKit, type Kit } from '../helpers/attestation.js';

describe('attestationRoots / TRENT_ATTESTATION_ROOTS', () => {
  let kit: Kit;
  const dir = mkdtempSync(join(tmpdir(), 'trent-roots-'));
  before(async () => {
    kit = await newKit();
    writeFileSync(join(dir, 'aws.pem'), AWS_NITRO_ROOT_PEM);
    writeFileSync(join(dir, 'not.pem'), 'not a certificate\n');
  });
  after(() => {
    kit.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('default: none configured, and the server trusts the AWS root alone', () => {
    assert.equal(loadConfig({}, {}).attestationRoots, undefined);
    const roots = loadAttestationRoots(undefined);
    assert.equal(roots.length, 1);
    assert.match(roots[0]!.subject, /CN=aws\.nitro-enclaves/);
  });

  it('the environment: comma-separated paths replace the default, in order', () => {
    const config = loadConfig({}, { TRENT_ATTESTATION_ROOTS: `${join(dir, 'aws.pem')}, ${kit.rootPemFile}` });
    assert.deepEqual(config.attestationRoots, [join(dir, 'aws.pem'), kit.rootPemFile]);
    const roots = loadAttestationRoots(config.attestationRoots);
    assert.deepEqual(roots.map((r) => r.raw), [loadAttestationRoots(undefined)[0]!.raw, kit.roots[0]!.raw]);
  });

  it('the config file: a YAML list, relative to the file', () => {
    const file = join(dir, 'trent.yaml');
    writeFileSync(file, 'attestationRoots:\n  - aws.pem\n');
    assert.deepEqual(loadConfig({ config: file }, {}).attestationRoots, [join(dir, 'aws.pem')]);
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    ['a missing file', { TRENT_ATTESTATION_ROOTS: join(dir, 'missing.pem') }, /^TRENT_ATTESTATION_ROOTS: cannot read attestation root .*missing\.pem: ENOENT$/],
    ['a file without a certificate', { TRENT_ATTESTATION_ROOTS: join(dir, 'not.pem') }, /^TRENT_ATTESTATION_ROOTS: attestation root .*not\.pem holds no valid PEM certificate$/],
    ['an empty list', { TRENT_ATTESTATION_ROOTS: '' }, /^TRENT_ATTESTATION_ROOTS must be a non-empty list of PEM file paths$/],
  ];
  for (const [name, env, message] of refusals) {
    it(`refused at start: ${name}`, () => {
      assert.throws(() => loadConfig({}, env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
