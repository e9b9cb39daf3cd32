/**
 * The pieces of `trent kms` in process, each against an independent oracle where one exists:
 * option names against botocore's xform_name, text and table output against awscli's own
 * formatters, dates against Python's isoformat, and table-driven rows (the ones that must fail
 * too) for shorthand, parameters and the credential chain.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseKmsArguments, ParameterError, UsageError } from '../../src/cli/kms/arguments.js';
import { ConfigurationError, resolveSettings } from '../../src/cli/kms/credentials.js';
import { allOperations, kebabName, model } from '../../src/cli/kms/model.js';
import { formatTable, formatText, formatYaml, isoTimestamp } from '../../src/cli/kms/output.js';
import { parseShorthand, ShorthandError } from '../../src/cli/kms/shorthand.js';

const CHECKER = fileURLToPath(new URL('../../../test/checkers/aws_cli_format.py', import.meta.url));

const noFiles = {
  readFile(path: string): Buffer {
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
};

describe('option names', () => {
  test('every operation and member is spelled as botocore spells it', () => {
    const names = new Set<string>(Object.keys(model.operations));
    for (const shape of Object.values(model.shapes)) if (shape.type === 'structure') for (const member of Object.keys(shape.members)) names.add(member);
    const list = [...names];
    const python = execFileSync('python3', ['-c', 'import sys, json, botocore; print(json.dumps([botocore.xform_name(n, "-") for n in json.load(sys.stdin)]))'], { input: JSON.stringify(list) });
    const expected = JSON.parse(python.toString()) as string[];
    assert.deepEqual(list.map(kebabName), expected);
    assert.ok(allOperations().some((op) => op.command === 'generate-data-key-pair-without-plaintext'));
  });
});

describe('shorthand', () => {
  const rows: [string, string, unknown][] = [
    ['a map', 'purpose=backup,team=infra', { purpose: 'backup', team: 'infra' }],
    ['a list after a key', 'Name=a,b,c', { Name: ['a', 'b', 'c'] }],
    ['a list then a key', 'A=a,b,B=c', { A: ['a', 'b'], B: 'c' }],
    ['an explicit list', 'A=[x, y],B=z', { A: ['x', 'y'], B: 'z' }],
    ['nested', 'Constraints={EncryptionContextSubset={k=v,l=w}}', { Constraints: { EncryptionContextSubset: { k: 'v', l: 'w' } } }],
    ['quoted with commas', `k='a,b',l="c=d"`, { k: 'a,b', l: 'c=d' }],
    ['an escaped comma', 'k=a\\,b', { k: 'a,b' }],
    ['= in a value', 'k=a=b', { k: 'a=b' }],
    ['spaces around', ' k = v , l = w ', { k: 'v', l: 'w' }],
    ['an empty value', 'k=,l=w', { k: '', l: 'w' }],
  ];
  for (const [name, text, expected] of rows) test(name, () => assert.deepEqual(parseShorthand(text), expected));
  for (const [name, text] of [
    ['no =', 'justtext'],
    ['an unclosed quote', "k='abc"],
    ['an unclosed brace', 'k={a=b'],
  ]) {
    test(`refused: ${name}`, () => assert.throws(() => parseShorthand(text as string), ShorthandError));
  }
});

describe('parameters', () => {
  const call = (argv: string[]) => {
    const parsed = parseKmsArguments(argv, noFiles);
    assert.equal(parsed.kind, 'call');
    return parsed.kind === 'call' ? parsed.input : {};
  };
  test('scalars, flags, lists, maps, blobs', () => {
    assert.deepEqual(call(['generate-random', '--number-of-bytes', '32']), { NumberOfBytes: 32 });
    assert.deepEqual(call(['create-key', '--multi-region', '--no-bypass-policy-lockout-safety-check']), { MultiRegion: true, BypassPolicyLockoutSafetyCheck: false });
    assert.deepEqual(call(['describe-key', '--key-id', 'k', '--grant-tokens', 'a', 'b']), { KeyId: 'k', GrantTokens: ['a', 'b'] });
    assert.deepEqual(call(['describe-key', '--key-id=k', '--grant-tokens', '["a"]']), { KeyId: 'k', GrantTokens: ['a'] });
    assert.deepEqual(call(['encrypt', '--key-id', 'k', '--plaintext', 'aGk=', '--encryption-context', 'a=1,b=2']), { KeyId: 'k', Plaintext: 'aGk=', EncryptionContext: { a: '1', b: '2' } });
    assert.deepEqual(call(['encrypt', '--key-id', 'k', '--plaintext', 'hi', '--cli-binary-format', 'raw-in-base64-out']), { KeyId: 'k', Plaintext: 'aGk=' });
    assert.deepEqual(call(['create-key', '--tags', 'TagKey=a,TagValue=b', '{"TagKey": "c", "TagValue": "d"}']), { Tags: [{ TagKey: 'a', TagValue: 'b' }, { TagKey: 'c', TagValue: 'd' }] });
    assert.deepEqual(call(['create-grant', '--key-id', 'k', '--operations', 'Decrypt', 'Encrypt', '--constraints', 'EncryptionContextSubset={a=b}']), {
      KeyId: 'k',
      Operations: ['Decrypt', 'Encrypt'],
      Constraints: { EncryptionContextSubset: { a: 'b' } },
    });
    assert.deepEqual(call(['--region', 'eu-west-1', 'list-keys', '--limit', '5']), { Limit: 5 });
  });
  const refusals: [string, string[], typeof UsageError | typeof ParameterError, RegExp][] = [
    ['a missing required member', ['encrypt', '--key-id', 'k'], UsageError, /required: --plaintext/],
    ['an unknown option', ['describe-key', '--key-id', 'k', '--kye'], UsageError, /Unknown options: --kye/],
    ['two values for a scalar', ['describe-key', '--key-id', 'k', 'l'], UsageError, /Unknown options: l/],
    ['a value for a flag', ['create-key', '--multi-region', 'yes'], UsageError, /Unknown options: yes/],
    ['not an integer', ['generate-random', '--number-of-bytes', '1.5'], ParameterError, /NumberOfBytes/],
    ['not base64, a secret not echoed', ['encrypt', '--key-id', 'k', '--plaintext', 'my-secret!'], ParameterError, /^Invalid base64: \(parameter Plaintext/],
    ['not base64, a ciphertext echoed', ['decrypt', '--ciphertext-blob', 'not!b64'], ParameterError, /^Invalid base64: "not!b64"/],
    ['an unknown structure member', ['create-key', '--tags', 'TagKey=a,Value=b'], ParameterError, /Unknown parameter in Tags\[0\]: "Value"/],
    ['a structure missing a member', ['create-key', '--tags', 'TagKey=a'], ParameterError, /Missing required parameter in Tags\[0\]: "TagValue"/],
    ['bad JSON', ['create-key', '--tags', '[{"TagKey": }]'], ParameterError, /Invalid JSON/],
    ['a missing param file', ['encrypt', '--key-id', 'k', '--plaintext', 'fileb:///nonexistent'], ParameterError, /Unable to load paramfile fileb:\/\/\/nonexistent/],
    ['an unknown output', ['list-keys', '--output', 'xml'], UsageError, /--output: Invalid choice/],
    ['paging options on an unpaged operation', ['describe-key', '--key-id', 'k', '--max-items', '1'], UsageError, /Unknown options: --max-items/],
    ['a key file option elsewhere', ['encrypt', '--key-id', 'k', '--plaintext', 'aGk=', '--private-key-out', 'f'], UsageError, /--private-key-out/],
  ];
  for (const [name, argv, type, message] of refusals) {
    test(`refused: ${name}`, () => assert.throws(() => parseKmsArguments(argv, noFiles), (err) => err instanceof type && message.test((err as Error).message)));
  }
  test('automatic paging unless paged by hand', () => {
    const auto = parseKmsArguments(['list-keys'], noFiles);
    assert.ok(auto.kind === 'call' && auto.paginator?.resultKey === 'Keys');
    const byHand = parseKmsArguments(['list-keys', '--marker', 'm'], noFiles);
    assert.ok(byHand.kind === 'call' && byHand.paginator === undefined);
    const off = parseKmsArguments(['list-keys', '--no-paginate'], noFiles);
    assert.ok(off.kind === 'call' && off.paginator === undefined);
  });
});

describe('credential chain', () => {
  const files: Record<string, string> = {
    '/c/credentials': '[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = sdefault\n[dev]\naws_access_key_id = AKDEV\naws_secret_access_key = sdev\naws_session_token = tdev\n',
    '/c/config': '[default]\nregion = eu-north-1\noutput = table\n[profile dev]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:5000\n[profile only-config]\naws_access_key_id = AKCONF\naws_secret_access_key = sconf\n',
  };
  const environment = (env: Record<string, string>) => ({
    env: { AWS_SHARED_CREDENTIALS_FILE: '/c/credentials', AWS_CONFIG_FILE: '/c/config', ...env },
    readFile(path: string): Buffer {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return Buffer.from(text);
    },
  });
  test('environment variables first, then the default profile', () => {
    const fromEnv = resolveSettings({}, environment({ AWS_ACCESS_KEY_ID: 'AKENV', AWS_SECRET_ACCESS_KEY: 'senv', AWS_REGION: 'us-west-2' }));
    assert.deepEqual(fromEnv.credentials, { accessKeyId: 'AKENV', secretAccessKey: 'senv' });
    assert.equal(fromEnv.region, 'us-west-2');
    const fromFile = resolveSettings({}, environment({}));
    assert.deepEqual(fromFile.credentials, { accessKeyId: 'AKDEFAULT', secretAccessKey: 'sdefault' });
    assert.equal(fromFile.region, 'eu-north-1');
    assert.equal(fromFile.output, 'table');
    assert.equal(fromFile.endpoint, 'http://127.0.0.1:4599');
  });
  test('--profile outranks the environment; the profile names region and endpoint', () => {
    const dev = resolveSettings({ profile: 'dev' }, environment({ AWS_ACCESS_KEY_ID: 'AKENV', AWS_SECRET_ACCESS_KEY: 'senv' }));
    assert.deepEqual(dev.credentials, { accessKeyId: 'AKDEV', secretAccessKey: 'sdev', sessionToken: 'tdev' });
    assert.equal(dev.region, 'ap-south-1');
    assert.equal(dev.endpoint, 'http://127.0.0.1:5000');
    assert.equal(resolveSettings({ profile: 'dev', region: 'us-east-2', endpointUrl: 'http://x' }, environment({})).endpoint, 'http://x');
    assert.deepEqual(resolveSettings({ region: 'us-east-1' }, environment({ AWS_PROFILE: 'only-config' })).credentials, { accessKeyId: 'AKCONF', secretAccessKey: 'sconf' });
  });
  test('refused: a profile that does not exist, no credentials, no region', () => {
    assert.throws(() => resolveSettings({ profile: 'nope' }, environment({})), /The config profile \(nope\) could not be found/);
    const bare = { env: {}, readFile: noFiles.readFile };
    assert.throws(() => resolveSettings({}, bare), (err) => err instanceof ConfigurationError && /Unable to locate credentials/.test(err.message));
    assert.throws(() => resolveSettings({}, { ...bare, env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' } }), /You must specify a region/);
  });
});

describe('output', () => {
  test('dates as Python isoformat() prints them in this time zone', () => {
    const values = [0, 1796293564.868, 1796293564, 1700000000.000001, 951782400.5];
    const python = execFileSync('python3', ['-c', 'import sys, json, datetime\nfrom dateutil.tz import tzlocal\nprint(json.dumps([datetime.datetime.fromtimestamp(v, tzlocal()).isoformat() for v in json.load(sys.stdin)]))'], {
      input: JSON.stringify(values),
    });
    assert.deepEqual(values.map(isoTimestamp), JSON.parse(python.toString()));
  });

  test('text and table as awscli formats them', () => {
    const documents: [string, unknown][] = [
      ['DescribeKey', { KeyMetadata: { KeyId: 'k', Enabled: true, CreationDate: '2026-01-01T00:00:00+00:00', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false } }],
      ['ListAliases', { Aliases: [{ AliasName: 'alias/a', TargetKeyId: 'k1' }, { AliasName: 'alias/b' }, { AliasName: 'alias/ü中', AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/ü中' }] }],
      ['ListGrants', { Grants: [{ GrantId: 'g', Operations: ['Decrypt', 'Encrypt'], Constraints: { EncryptionContextSubset: { a: 'b', c: 'd' } } }, { GrantId: 'h', Name: 'n' }], Truncated: false }],
      ['ListAliases', { Aliases: [] }],
      ['X', { Wide: 'w'.repeat(120), Other: 'o', Nested: { OneScalar: 1 } }],
      // Columns scaled by 26/20: 6.5 rounds to 6 (Python rounds halves to even), not 7.
      ['X'.repeat(24), { a: '1', b: '2', cccccc: '333333' }],
      ['Query', [['a', 'b'], ['c', 'd']]],
      ['Query', ['x', 1, null, 2.5]],
    ];
    const cases = documents.flatMap(([title, data]) => (['text', 'table'] as const).map((format) => ({ format, title, data })));
    const expected = JSON.parse(execFileSync('python3', [CHECKER], { input: JSON.stringify(cases) }).toString()) as string[];
    cases.forEach((c, i) => {
      const ours = c.format === 'text' ? formatText(c.data) : formatTable(c.title, c.data, 80);
      assert.equal(ours, expected[i], `${c.format} of ${JSON.stringify(c.data)}`);
    });
  });

  test('yaml: one document that reads back as the data, numbers-as-text and dates quoted', () => {
    const data = { KeyMetadata: { AWSAccountId: '111122223333', CreationDate: '2026-12-03T10:25:13.123000+00:00', Enabled: true, EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], Description: 'ünïcode: "x"' } };
    const text = formatYaml(data);
    assert.deepEqual(parseYaml(text, { version: '1.1' }), data);
    assert.match(text, /AWSAccountId: '111122223333'/);
    assert.match(text, /CreationDate: '2026-12-03T10:25:13.123000\+00:00'/);
    assert.match(text, /EncryptionAlgorithms:\n {2}- SYMMETRIC_DEFAULT/);
    assert.equal(formatYaml({}), '');
  });
});
