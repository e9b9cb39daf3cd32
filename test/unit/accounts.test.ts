/**
 * The `accounts:` section of the config file (src/accounts.ts through loadConfig): the shape it
 * becomes, the mode it decides, and every rule it enforces, each with its exact message. No
 * message may contain a secret access key or a session token, wherever in the file it was.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { Identities } from '../../src/domain/identities.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-accounts-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Writes `yaml` to a config file and returns its path. */
function configFile(yaml: string): string {
  const path = join(dir, `trent-${++files}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

const ROOT_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYROOTSECRET';
const ALICE_SECRET = 'alice+Secret/From/The/Environment0000000';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEJr//session/token/of/alice==';
const ENV = { ALICE_SECRET };
const SECRETS = [ROOT_SECRET, ALICE_SECRET, SESSION_TOKEN, 'PlainSecretInTheWrongPlace0000000000000', 'numeric-secret-1234567890'];

const EXAMPLE = `
accounts:
  "111122223333":
    principals:
      "arn:aws:iam::111122223333:root":
        accessKeys:
          - accessKeyId: AKIAROOT000000000001
            secretAccessKey: "${ROOT_SECRET}"
      "arn:aws:iam::111122223333:user/engineering/alice":
        accessKeys:
          - accessKeyId: AKIAALICE00000000001
            secretAccessKeyEnv: ALICE_SECRET
            sessionToken: "${SESSION_TOKEN}"
        policies:
          - Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ["kms:GenerateDataKeyPair", "kms:Decrypt"]
                Resource: "*"
                Condition: { StringEquals: { "kms:DataKeyPairSpec": "RSA_2048" } }
          - {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
      "arn:aws:iam::111122223333:role/app":
  "444455556666":
    principals:
      "arn:aws:iam::444455556666:role/division/team/deployer":
        accessKeys:
          - { accessKeyId: AKIADEPLOYER00000001, secretAccessKey: "deployer-secret" }
`;

describe('accounts: the shape of a good config', () => {
  const path = configFile(EXAMPLE);
  const config: Config = loadConfig({ config: path }, ENV);

  it('is authenticated mode, with secrets resolved (an environment variable read once, named)', () => {
    assert.equal(config.mode, 'authenticated');
    assert.deepEqual(config.accounts, [
      {
        id: '111122223333',
        principals: [
          { arn: 'arn:aws:iam::111122223333:root', accessKeys: [{ accessKeyId: 'AKIAROOT000000000001', secretAccessKey: ROOT_SECRET }], policies: [] },
          {
            arn: 'arn:aws:iam::111122223333:user/engineering/alice',
            accessKeys: [{ accessKeyId: 'AKIAALICE00000000001', secretAccessKey: ALICE_SECRET, secretAccessKeyEnv: 'ALICE_SECRET', sessionToken: SESSION_TOKEN }],
            policies: [
              {
                Version: '2012-10-17',
                Statement: [{ Effect: 'Allow', Action: ['kms:GenerateDataKeyPair', 'kms:Decrypt'], Resource: '*', Condition: { StringEquals: { 'kms:DataKeyPairSpec': 'RSA_2048' } } }],
              },
              { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'kms:*', Resource: '*' }] },
            ],
          },
          { arn: 'arn:aws:iam::111122223333:role/app', accessKeys: [], policies: [] },
        ],
      },
      {
        id: '444455556666',
        principals: [
          {
            arn: 'arn:aws:iam::444455556666:role/division/team/deployer',
            accessKeys: [{ accessKeyId: 'AKIADEPLOYER00000001', secretAccessKey: 'deployer-secret' }],
            policies: [],
          },
        ],
      },
    ]);
  });

  it('survives the trip to a worker (JSON over the IPC channel) unchanged', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
  });

  it('makes a directory of identities', () => {
    const identities = new Identities(config.accounts);
    assert.deepEqual(identities.accounts(), ['111122223333', '444455556666']);
    assert.deepEqual(identities.byAccessKeyId('AKIAALICE00000000001'), {
      principal: { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/engineering/alice', type: 'user', name: 'alice', accessKeyId: 'AKIAALICE00000000001' },
      secret: ALICE_SECRET,
      sessionToken: SESSION_TOKEN,
    });
    assert.deepEqual(identities.byAccessKeyId('AKIADEPLOYER00000001')?.principal, {
      account: '444455556666',
      arn: 'arn:aws:iam::444455556666:role/division/team/deployer',
      type: 'role',
      name: 'deployer',
      accessKeyId: 'AKIADEPLOYER00000001',
    });
    assert.equal(identities.byAccessKeyId('AKIAUNKNOWN000000001'), undefined);
    // Every configured principal, and the root of every configured account even without keys.
    for (const arn of ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:role/app', 'arn:aws:iam::444455556666:root', 'arn:aws:iam::444455556666:role/division/team/deployer']) {
      assert.equal(identities.principalExists(arn), true, arn);
    }
    for (const arn of ['arn:aws:iam::999988887777:root', 'arn:aws:iam::111122223333:user/mallory', 'arn:aws:iam::444455556666:role/deployer']) {
      assert.equal(identities.principalExists(arn), false, arn);
    }
    assert.equal(identities.identityPolicies('arn:aws:iam::111122223333:user/engineering/alice').length, 2);
    assert.deepEqual(identities.identityPolicies('arn:aws:iam::444455556666:root'), []);
    assert.deepEqual(identities.identityPolicies('arn:aws:iam::999988887777:root'), []);
  });

  it('lets an authenticated server listen on any address', () => {
    assert.equal(loadConfig({ config: path, host: '0.0.0.0' }, ENV).host, '0.0.0.0');
    assert.equal(loadConfig({ config: path, host: '::' }, ENV).host, '::');
  });
});

describe('accounts: development mode', () => {
  for (const [name, yaml] of [
    ['no accounts key', 'port: 4599\n'],
    ['an empty accounts key', 'accounts:\n'],
    ['an empty mapping', 'accounts: {}\n'],
  ] as const) {
    it(`${name} is development mode`, () => {
      const config = loadConfig({ config: configFile(yaml) }, {});
      assert.equal(config.mode, 'development');
      assert.deepEqual(config.accounts, []);
    });
  }
  it('refuses a non-loopback address, naming accounts:', () => {
    assert.throws(
      () => loadConfig({ config: configFile('accounts: {}\n'), host: '0.0.0.0' }, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message ===
          'refusing to listen on 0.0.0.0: without configured accounts Trent authenticates nobody, so it serves only loopback ' +
            'addresses (127.0.0.1, ::1, localhost). To listen elsewhere, configure accounts and their access keys under ' +
            "`accounts:` in the --config file (see the README), and every request's signature will be verified",
    );
  });
});

/** A config with one account and one principal whose body is `principal` (indented YAML). */
function onePrincipal(principal: string, arn = 'arn:aws:iam::111122223333:user/alice'): string {
  return `accounts:\n  "111122223333":\n    principals:\n      "${arn}":\n${principal.replace(/^/gm, '        ')}\n`;
}
const ALICE_AT = 'accounts."111122223333".principals."arn:aws:iam::111122223333:user/alice"';
const KEY_AT = `${ALICE_AT}.accessKeys[0]`;

const refusals: Array<{ name: string; yaml: string; env?: Record<string, string>; message: string }> = [
  { name: 'accounts as a list', yaml: 'accounts:\n  - "111122223333"\n', message: 'accounts must be a mapping of 12-digit account ids (quoted: "111122223333") to accounts' },
  {
    name: 'an account id of 11 digits (an unquoted leading zero dropped by YAML)',
    yaml: 'accounts:\n  012345678901: {}\n',
    message: `accounts: account id '12345678901' must be 12 digits; quote it ("012345678901") so YAML keeps it as written`,
  },
  { name: 'an account id with letters', yaml: 'accounts:\n  "11112222333x": {}\n', message: `accounts: account id '11112222333x' must be 12 digits; quote it ("012345678901") so YAML keeps it as written` },
  { name: 'an account that is a list', yaml: 'accounts:\n  "111122223333": []\n', message: 'accounts."111122223333" must be a mapping with principals' },
  { name: 'an unknown key in an account', yaml: 'accounts:\n  "111122223333": { principal: {} }\n', message: `accounts."111122223333": unknown key 'principal' (known: principals)` },
  { name: 'principals as a list', yaml: 'accounts:\n  "111122223333": { principals: [] }\n', message: 'accounts."111122223333".principals must be a mapping of principal ARNs to principals' },
  ...[
    'arn:aws:iam::111122223333:group/admins',
    'arn:aws:iam::111122223333:user/',
    'arn:aws:iam::111122223333:user/a b',
    'arn:aws:iam::111122223333:user//alice',
    'arn:aws:iam::111122223333:root/x',
    'arn:aws:sts::111122223333:assumed-role/app/session',
    'arn:aws:iam::111122223333:user/' + 'n'.repeat(65),
    'arn:aws-cn:iam::111122223333:root',
    'arn:aws:iam::1111222233:root',
    'alice',
  ].map((arn) => ({
    name: `the principal ARN '${arn.slice(0, 60)}'`,
    yaml: onePrincipal('{}', arn),
    message:
      `accounts."111122223333".principals."${arn}": '${arn}' is not a principal ARN: expected arn:aws:iam::111122223333:root, ` +
      'arn:aws:iam::111122223333:user/<path/>name or arn:aws:iam::111122223333:role/<path/>name (names of 1 to 64 letters, digits and +=,.@_-)',
  })),
  {
    name: 'a principal of another account',
    yaml: onePrincipal('{}', 'arn:aws:iam::444455556666:user/alice'),
    message: `accounts."111122223333".principals."arn:aws:iam::444455556666:user/alice": principal 'arn:aws:iam::444455556666:user/alice' belongs to account 444455556666, not 111122223333`,
  },
  { name: 'an unknown key in a principal', yaml: onePrincipal('policy: []'), message: `${ALICE_AT}: unknown key 'policy' (known: accessKeys, policies)` },
  { name: 'accessKeys as a mapping', yaml: onePrincipal('accessKeys: { accessKeyId: AKIAALICE00000000001 }'), message: `${ALICE_AT}.accessKeys must be a list of access keys` },
  { name: 'an access key that is a string', yaml: onePrincipal('accessKeys: [AKIAALICE00000000001]'), message: `${KEY_AT} must be a mapping with accessKeyId and secretAccessKey or secretAccessKeyEnv` },
  {
    name: 'an access key with an unknown key (a misspelt secret)',
    yaml: onePrincipal('accessKeys:\n  - accessKeyId: AKIAALICE00000000001\n    secretAcessKey: PlainSecretInTheWrongPlace0000000000000'),
    message: `${KEY_AT}: unknown key 'secretAcessKey' (known: accessKeyId, secretAccessKey, secretAccessKeyEnv, sessionToken)`,
  },
  { name: 'no accessKeyId', yaml: onePrincipal('accessKeys:\n  - secretAccessKey: x'), message: `${KEY_AT}.accessKeyId must be a string such as AKIAIOSFODNN7EXAMPLE` },
  {
    name: 'an accessKeyId too short',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIASHORT, secretAccessKey: x }'),
    message: `${KEY_AT}.accessKeyId must be 16 to 128 letters, digits or underscores (IAM's access key id pattern), not 'AKIASHORT'`,
  },
  {
    name: 'an accessKeyId with a dash',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIA-ALICE-00000001, secretAccessKey: x }'),
    message: `${KEY_AT}.accessKeyId must be 16 to 128 letters, digits or underscores (IAM's access key id pattern), not 'AKIA-ALICE-00000001'`,
  },
  {
    name: 'an accessKeyId twice in one principal',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKey: a }\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKey: b }'),
    message: `${ALICE_AT}.accessKeys[1].accessKeyId: access key id 'AKIAALICE00000000001' is already configured for arn:aws:iam::111122223333:user/alice`,
  },
  {
    name: 'an accessKeyId in two accounts',
    yaml:
      'accounts:\n' +
      '  "111122223333": { principals: { "arn:aws:iam::111122223333:root": { accessKeys: [{ accessKeyId: AKIASHARED0000000001, secretAccessKey: a }] } } }\n' +
      '  "444455556666": { principals: { "arn:aws:iam::444455556666:root": { accessKeys: [{ accessKeyId: AKIASHARED0000000001, secretAccessKey: b }] } } }\n',
    message:
      `accounts."444455556666".principals."arn:aws:iam::444455556666:root".accessKeys[0].accessKeyId: ` +
      `access key id 'AKIASHARED0000000001' is already configured for arn:aws:iam::111122223333:root`,
  },
  {
    name: 'both secretAccessKey and secretAccessKeyEnv',
    yaml: onePrincipal(`accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKey: "${ROOT_SECRET}", secretAccessKeyEnv: ALICE_SECRET }`),
    env: ENV,
    message: `${KEY_AT} (access key AKIAALICE00000000001) must have exactly one of secretAccessKey and secretAccessKeyEnv, not both`,
  },
  {
    name: 'neither secretAccessKey nor secretAccessKeyEnv',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001 }'),
    message: `${KEY_AT} (access key AKIAALICE00000000001) must have exactly one of secretAccessKey and secretAccessKeyEnv`,
  },
  {
    name: 'a secretAccessKey that YAML reads as a number',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKey: 1234567890 }'),
    message: `${KEY_AT}.secretAccessKey must be a non-empty string (quote it in YAML)`,
  },
  {
    name: 'an empty secretAccessKey',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKey: "" }'),
    message: `${KEY_AT}.secretAccessKey must be a non-empty string (quote it in YAML)`,
  },
  {
    name: 'a secret pasted as secretAccessKeyEnv',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKeyEnv: PlainSecretInTheWrongPlace0000000000000 }'),
    message: `${KEY_AT}.secretAccessKeyEnv must name an environment variable (upper-case letters, digits and underscores)`,
  },
  {
    name: 'a secretAccessKeyEnv that is not set',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKeyEnv: ALICE_SECRET }'),
    env: {},
    message: `${KEY_AT}.secretAccessKeyEnv: the environment variable ALICE_SECRET is not set`,
  },
  {
    name: 'a secretAccessKeyEnv that is empty',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKeyEnv: ALICE_SECRET }'),
    env: { ALICE_SECRET: '' },
    message: `${KEY_AT}.secretAccessKeyEnv: the environment variable ALICE_SECRET is empty`,
  },
  {
    name: 'an empty sessionToken',
    yaml: onePrincipal('accessKeys:\n  - { accessKeyId: AKIAALICE00000000001, secretAccessKeyEnv: ALICE_SECRET, sessionToken: "" }'),
    env: ENV,
    message: `${KEY_AT}.sessionToken must be a non-empty string (quote it in YAML)`,
  },
  { name: 'policies as a mapping', yaml: onePrincipal('policies: { Version: "2012-10-17" }'), message: `${ALICE_AT}.policies must be a list of policy documents` },
  {
    name: 'a policy that is a string',
    yaml: onePrincipal(`policies:\n  - '{"Version": "2012-10-17", "Statement": []}'`),
    message: `${ALICE_AT}.policies[0] must be a policy document: a mapping with Version and Statement, in YAML or JSON`,
  },
];

describe('accounts: refused, with one line that names the place and holds no secret', () => {
  for (const row of refusals) {
    it(`refuses ${row.name}`, () => {
      const path = configFile(row.yaml);
      assert.throws(
        () => loadConfig({ config: path }, row.env ?? ENV),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.equal(err.message, `${path}: ${row.message}`);
          for (const secret of SECRETS) assert.ok(!err.message.includes(secret), `a secret in: ${err.message}`);
          return true;
        },
      );
    });
  }

  it('refuses YAML that does not parse, without quoting the line (it may hold a secret)', () => {
    const path = configFile(`accounts:\n  "111122223333":\n    principals:\n  secretAccessKey: "${ROOT_SECRET}\n`);
    assert.throws(
      () => loadConfig({ config: path }, {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, new RegExp(`^config file ${path} is not valid YAML \\([A-Z_]+\\) at line \\d+, column \\d+$`));
        assert.ok(!err.message.includes(ROOT_SECRET));
        return true;
      },
    );
  });
});
