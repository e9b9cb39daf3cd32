/**
 * The audit stage in-process: one CloudTrail-shaped record per request that reached an
 * operation, compared member by member with AWS's documented GenerateDataKeyPair log entry
 * (test/vectors/cloudtrail-kms.json); no secret, blob or grant token in any record; errors,
 * callers and resources as CloudTrail writes them; and what a failed write does with and
 * without auditLogRequired.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AuditLog, AuditLogStatus } from '../../src/server/audit-log.js';
import type { ServiceModel } from '../../src/protocol/shapes.js';
import { auditView, cloudTrailDate } from '../../src/server/audit-record.js';
import { decode } from 'cbor2';
import { b64, createTestApp, keyArn } from '../helpers/in-process.js';
import { newKit } from '../helpers/attestation.js';
import { ALICE, BOB, ROOT, TEST_ACCOUNTS } from '../helpers/sigv4.js';

/** Records kept in memory; `failWith` makes every append reject, as a full disk would. */
class MemoryAuditLog implements AuditLog {
  readonly lines: string[] = [];
  failWith: Error | undefined;
  append(line: string): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.lines.push(line);
    return Promise.resolve();
  }
  status(): AuditLogStatus {
    return { destination: 'memory', ok: this.failWith === undefined, failures: 0, records: this.lines.length };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
  last(): Record<string, unknown> {
    const record = this.records().at(-1);
    assert.ok(record, 'no audit record was written');
    return record;
  }
}

const vectorFile = new URL('../../../test/vectors/cloudtrail-kms.json', import.meta.url);
const documented = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { generateDataKeyPair: Record<string, unknown> }).generateDataKeyPair;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function setUp(options: { authenticated?: boolean; required?: boolean } = {}) {
  const log = new MemoryAuditLog();
  const t = createTestApp({
    auditLog: log,
    ...(options.required !== undefined && { auditLogRequired: options.required }),
    ...(options.authenticated === true && { accounts: TEST_ACCOUNTS }),
  });
  return { log, t };
}

/** Every way a secret's bytes could be written: base64, base64url, hex (either case). */
function forms(secret: Buffer | string): string[] {
  const bytes = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'base64');
  return [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
}

describe('audit record: the shape of AWS CloudTrail KMS events', () => {
  it('GenerateDataKeyPair by an IAM user: the documented example member for member, in its order', async () => {
    const { log, t } = setUp({ authenticated: true });
    const key = await t.createKey({}, { as: ALICE, region: 'us-west-2' });
    const response = await t.call(
      'GenerateDataKeyPair',
      { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { Project: 'Alpha' } },
      { as: ALICE, region: 'us-west-2' },
    );
    assert.equal(response.status, 200);
    const record = log.last();
    assert.deepEqual(Object.keys(record), Object.keys(documented));
    assert.deepEqual(Object.keys(record.userIdentity as object), Object.keys(documented.userIdentity as object));
    assert.deepEqual(Object.keys(record.requestParameters as object).sort(), Object.keys(documented.requestParameters as object).sort());
    assert.deepEqual(
      Object.keys((record.resources as object[])[0] as object),
      Object.keys((documented.resources as object[])[0] as object),
    );
    const same = ['eventVersion', 'eventSource', 'eventName', 'responseElements', 'readOnly', 'eventType', 'managementEvent', 'eventCategory'];
    for (const member of same) assert.deepEqual(record[member], documented[member], member);
    assert.deepEqual(record.userIdentity, {
      type: 'IAMUser',
      principalId: (record.userIdentity as { principalId: string }).principalId,
      arn: 'arn:aws:iam::111122223333:user/engineering/alice',
      accountId: '111122223333',
      accessKeyId: ALICE.accessKeyId,
      userName: 'alice',
    });
    assert.match((record.userIdentity as { principalId: string }).principalId, /^AIDA[0-9A-Z]{13}$/);
    assert.equal(record.eventTime, new Date(t.clock.now()).toISOString().replace('.000Z', 'Z'));
    assert.equal(record.awsRegion, 'us-west-2');
    assert.deepEqual(record.requestParameters, { keyId: key.keyId, keyPairSpec: 'ECC_NIST_P256', encryptionContext: { Project: 'Alpha' } });
    assert.deepEqual(record.additionalEventData, { keyMaterialId: response.body.KeyMaterialId });
    assert.equal(record.requestID, response.headers['x-amzn-requestid']);
    assert.match(record.eventID as string, UUID);
    assert.notEqual(record.eventID, record.requestID);
    assert.deepEqual(record.resources, [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: keyArn(key.keyId, 'us-west-2') }]);
    assert.equal(record.recipientAccountId, '111122223333');
  });

  it('the root user and a role: CloudTrail identity types Root and AssumedRole', async () => {
    const { log, t } = setUp({ authenticated: true });
    await t.ok('ListKeys', {}, { as: ROOT });
    assert.deepEqual(log.last().userIdentity, {
      type: 'Root',
      principalId: '111122223333',
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      accessKeyId: ROOT.accessKeyId,
    });
    await t.ok('ListKeys', {}, { as: BOB });
    const bob = log.last().userIdentity as Record<string, unknown>;
    assert.equal(bob.type, 'AssumedRole');
    assert.equal(bob.arn, 'arn:aws:iam::111122223333:role/bob');
    assert.match(bob.principalId as string, /^AROA[0-9A-Z]{13}$/);
    await t.ok('ListKeys', {}, { as: BOB });
    assert.equal((log.last().userIdentity as Record<string, unknown>).principalId, bob.principalId, 'one principal, one id');
  });

  it('a change shows what it made; a read shows responseElements null', async () => {
    const { log, t } = setUp();
    const key = await t.createKey({ Description: 'audit me', Tags: [{ TagKey: 'team', TagValue: 'infra' }] });
    const created = log.last();
    assert.equal(created.readOnly, false);
    assert.deepEqual(created.requestParameters, { description: 'audit me', tags: [{ tagKey: 'team', tagValue: 'infra' }] });
    const metadata = (created.responseElements as { keyMetadata: Record<string, unknown> }).keyMetadata;
    assert.equal(metadata.keyId, key.keyId);
    assert.equal(metadata.aWSAccountId, '111122223333', 'CloudTrail lowers only the first letter');
    assert.equal(metadata.creationDate, cloudTrailDate(t.clock.now() / 1000));
    assert.deepEqual(created.resources, [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key.arn }]);
    await t.ok('DescribeKey', { KeyId: key.keyId });
    assert.equal(log.last().responseElements, null);
    assert.equal(log.last().readOnly, true);
  });

  it('a refused request: errorCode and errorMessage, and the key it named as a resource', async () => {
    const { log, t } = setUp();
    const key = await t.createKey();
    await t.ok('DisableKey', { KeyId: key.keyId });
    const refused = await t.call('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    const record = log.last();
    assert.equal(record.errorCode, 'DisabledException');
    assert.equal(record.errorMessage, refused.body.message);
    assert.equal(record.requestID, refused.headers['x-amzn-requestid']);
    assert.deepEqual(record.resources, [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key.arn }]);
    assert.deepEqual(Object.keys(record).slice(7, 11), ['userAgent', 'errorCode', 'errorMessage', 'requestParameters']);

    await t.call('Decrypt', { CiphertextBlob: b64(Buffer.alloc(80, 1)) });
    assert.equal(log.last().errorCode, 'InvalidCiphertextException');
    assert.equal('errorMessage' in log.last(), false, 'an empty message is left out');
    await t.call('GenerateRandom', { NumberOfBytes: 0 });
    assert.equal(log.last().errorCode, 'ValidationException');
    assert.deepEqual(log.last().requestParameters, { numberOfBytes: 0 });
  });

  it('no record for what reached no operation: /health, an unknown target', async () => {
    const { log, t } = setUp();
    await t.app.handle({ method: 'GET', path: '/health', headers: {}, body: Buffer.alloc(0) });
    await t.call('NoSuchOperation', {});
    assert.equal(log.lines.length, 0);
  });
});

describe('audit record: no secret, blob or grant token', () => {
  it('data keys, private keys, plaintexts, ciphertexts, MACs, signatures and grant tokens stay out of every record', async () => {
    const { log, t } = setUp();
    const secrets: string[] = [];
    const symmetric = await t.createKey();
    const pair = await t.ok('GenerateDataKeyPair', { KeyId: symmetric.keyId, KeyPairSpec: 'ECC_NIST_P384', EncryptionContext: { a: 'b' } });
    secrets.push(pair.PrivateKeyPlaintext as string, pair.PrivateKeyCiphertextBlob as string, pair.PublicKey as string);
    const dataKey = await t.ok('GenerateDataKey', { KeyId: symmetric.keyId, KeySpec: 'AES_256' });
    secrets.push(dataKey.Plaintext as string, dataKey.CiphertextBlob as string);
    const plaintext = b64('the plaintext: attack at dawn!!');
    const sealed = await t.ok('Encrypt', { KeyId: symmetric.keyId, Plaintext: plaintext });
    secrets.push(plaintext, sealed.CiphertextBlob as string);
    await t.ok('Decrypt', { CiphertextBlob: sealed.CiphertextBlob });
    await t.ok('ReEncrypt', { CiphertextBlob: sealed.CiphertextBlob, DestinationKeyId: symmetric.keyId });
    secrets.push((await t.ok('GenerateRandom', { NumberOfBytes: 48 })).Plaintext as string);

    const hmac = await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const message = b64('a message to authenticate');
    const mac = await t.ok('GenerateMac', { KeyId: hmac.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' });
    secrets.push(message, mac.Mac as string);
    const signing = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const signed = await t.ok('Sign', { KeyId: signing.keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
    secrets.push(signed.Signature as string);

    const grant = await t.ok('CreateGrant', { KeyId: symmetric.keyId, GranteePrincipal: 'arn:aws:iam::111122223333:root', Operations: ['Decrypt'] });
    secrets.push(grant.GrantToken as string);
    await t.ok('Decrypt', { CiphertextBlob: sealed.CiphertextBlob, GrantTokens: [grant.GrantToken] });

    assert.equal(log.lines.length, 13);
    const text = log.lines.join('\n');
    for (const secret of secrets) {
      for (const form of [secret, ...forms(secret)]) assert.ok(!text.includes(form), `a secret (${form.slice(0, 12)}...) is in the audit log`);
    }
    const decrypt = log.records().find((r) => r.eventName === 'Decrypt');
    assert.deepEqual(decrypt?.requestParameters, { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }, 'CloudTrail always shows the algorithm of a Decrypt (ct-decrypt)');
    const encrypt = log.records().find((r) => r.eventName === 'Encrypt');
    assert.deepEqual(encrypt?.requestParameters, { keyId: symmetric.keyId, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
  });
});

describe('audit record: an attested Recipient, as CloudTrail logs its document', () => {
  const DAY = 86_400_000;
  const pcr = (byte: number) => Buffer.alloc(48, byte);
  /** The document's module_id, read from its COSE_Sign1 payload with cbor2 alone. */
  const moduleIdOf = (document: Buffer): unknown => {
    const payload = (decode(document) as Uint8Array[])[2]!;
    return (decode(payload, { preferMap: true }) as Map<string, unknown>).get('module_id');
  };

  it('an enclave: module id, image digest (PCR0) and PCRs 1, 2, 3, 4 and 8 in base64; not its other PCRs, key or document', async () => {
    const kit = await newKit(Date.UTC(2026, 0, 1) - DAY);
    try {
      const log = new MemoryAuditLog();
      const t = createTestApp({ auditLog: log, attestationRoots: kit.roots });
      const key = await t.createKey();
      const pcrs = new Map([[0, pcr(0xa0)], [1, pcr(0xa1)], [2, pcr(0xa2)], [3, pcr(0xa3)], [4, pcr(0xa4)], [5, pcr(0xa5)], [8, pcr(0xa8)]]);
      const document = await kit.document({ now: t.clock.now(), pcrs });
      const out = await t.ok('GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: b64(document) } });
      const record = log.last();
      assert.deepEqual(record.additionalEventData, {
        keyMaterialId: out.KeyMaterialId,
        recipient: {
          attestationDocumentModuleId: moduleIdOf(document),
          attestationDocumentEnclaveImageDigest: pcr(0xa0).toString('base64'),
          attestationDocumentEnclavePCR1: pcr(0xa1).toString('base64'),
          attestationDocumentEnclavePCR2: pcr(0xa2).toString('base64'),
          attestationDocumentEnclavePCR3: pcr(0xa3).toString('base64'),
          attestationDocumentEnclavePCR4: pcr(0xa4).toString('base64'),
          attestationDocumentEnclavePCR8: pcr(0xa8).toString('base64'),
        },
      });
      const line = log.lines.at(-1)!;
      for (const form of [...forms(document), ...forms(kit.enclave.spki)]) assert.ok(!line.includes(form), 'the document and its public key stay out');
    } finally {
      kit.cleanup();
    }
  });

  it('a NitroTPM: module id and NitroTPM PCRs 4, 7, 8, 9, 16 and 23 that the document holds; no recipient without a Recipient', async () => {
    const kit = await newKit(Date.UTC(2026, 0, 1) - DAY);
    try {
      const log = new MemoryAuditLog();
      const t = createTestApp({ auditLog: log, attestationRoots: kit.roots });
      const key = await t.createKey();
      const encrypted = await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('tpm') });
      const pcrs = new Map([[4, pcr(0xb4)], [7, pcr(0xb7)], [16, pcr(0xc0)], [23, pcr(0xc7)]]);
      const document = await kit.document({ now: t.clock.now(), pcrs, kind: 'nitro-tpm' });
      await t.ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, Recipient: { AttestationDocument: b64(document) } });
      const zero = Buffer.alloc(48).toString('base64'); // the kit fills PCRs 0..15 it is not given with zeros
      assert.deepEqual(log.last().additionalEventData, {
        recipient: {
          attestationDocumentModuleId: moduleIdOf(document),
          attestationDocumentNitroTPMPCR4: pcr(0xb4).toString('base64'),
          attestationDocumentNitroTPMPCR7: pcr(0xb7).toString('base64'),
          attestationDocumentNitroTPMPCR8: zero,
          attestationDocumentNitroTPMPCR9: zero,
          attestationDocumentNitroTPMPCR16: pcr(0xc0).toString('base64'),
          attestationDocumentNitroTPMPCR23: pcr(0xc7).toString('base64'),
        },
      });
      assert.match(moduleIdOf(document) as string, /-tpm/);
      await t.ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob });
      const plain = log.last().additionalEventData as Record<string, unknown>;
      assert.deepEqual(Object.keys(plain), ['keyMaterialId'], 'Decrypt without a Recipient logs no recipient');
    } finally {
      kit.cleanup();
    }
  });
});

describe('auditView: what a record shows of a value', () => {
  const model: ServiceModel = {
    operations: {},
    shapes: {
      Input: { type: 'structure', members: { KeyId: 'Text', Password: 'Secret', Items: 'ItemList', Labels: 'LabelMap', Blob: 'Bytes', Count: 'Int', On: 'Bool', GrantTokens: 'TextList' } },
      Item: { type: 'structure', members: { Name: 'Text', Token: 'Text' } },
      ItemList: { type: 'list', member: 'Item' },
      LabelMap: { type: 'map', key: 'Text', value: 'Text' },
      TextList: { type: 'list', member: 'Text' },
      Text: { type: 'string' },
      Secret: { type: 'string', sensitive: true },
      Bytes: { type: 'blob' },
      Int: { type: 'integer' },
      Bool: { type: 'boolean' },
    },
  };
  it('renames members, drops blobs, sensitive strings, declared paths and grant tokens, and values of the wrong type', () => {
    const value = {
      KeyId: 'k',
      Password: 'hunter2',
      Items: [{ Name: 'a', Token: 't1' }, { Name: 'b', Token: 't2' }],
      Labels: { x: 'y' },
      Blob: 'AAAA',
      Count: { not: 'a number' },
      On: true,
      GrantTokens: ['token'],
      Unknown: 'member',
    };
    assert.deepEqual(auditView(model, 'Input', value, ['Items.member.Token']), {
      keyId: 'k',
      items: [{ name: 'a' }, { name: 'b' }],
      labels: { x: 'y' },
      on: true,
    });
    assert.deepEqual(auditView(model, 'Input', { Labels: { x: 'y' } }, ['Labels.value']), { labels: {} });
  });
});

describe('audit record: a record that cannot be written', () => {
  it('auditLogRequired: the request fails with KMSInternalException, carrying its request id', async () => {
    const { log, t } = setUp({ required: true });
    log.failWith = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const response = await t.call('CreateKey', {});
    assert.equal(response.status, 500);
    assert.deepEqual(response.body, { __type: 'KMSInternalException', message: 'An internal error occurred. Check the server log for the request id.' });
    assert.match(response.headers['x-amzn-requestid'] ?? '', UUID);
    log.failWith = undefined;
    assert.equal((await t.call('ListKeys', {})).status, 200, 'answers again once records can be written');
  });

  it('not required: the request is answered, the failure only logged', async () => {
    const { log, t } = setUp();
    log.failWith = new Error('EIO');
    assert.equal((await t.call('ListKeys', {})).status, 200);
  });
});

describe('multi-Region operations in the audit log', () => {
  it('ReplicateKey names the primary and the replica; UpdatePrimaryRegion the primary and the PrimaryRegion asked for', async () => {
    const { log, t } = setUp();
    const keyId = (await t.createKey({ MultiRegion: true })).keyId;
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1', Description: 'replica' });
    const replicated = log.last();
    assert.equal(replicated.eventName, 'ReplicateKey');
    assert.equal(replicated.readOnly, false);
    assert.deepEqual(replicated.requestParameters, { keyId, replicaRegion: 'eu-west-1', description: 'replica' });
    assert.deepEqual(
      (replicated.resources as { ARN: string }[]).map((r) => r.ARN),
      [keyArn(keyId), keyArn(keyId, 'eu-west-1')],
    );
    assert.equal(((replicated.responseElements as Record<string, Record<string, unknown>>).replicaKeyMetadata)?.arn, keyArn(keyId, 'eu-west-1'));

    await t.ok('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' });
    const moved = log.last();
    assert.equal(moved.eventName, 'UpdatePrimaryRegion');
    assert.deepEqual(moved.requestParameters, { keyId, primaryRegion: 'eu-west-1' });
    assert.ok((moved.resources as { ARN: string }[]).some((r) => r.ARN === keyArn(keyId)));
    assert.equal(moved.responseElements, null);
  });
});

describe("GetKeyLastUsage's CloudTrailEventId: the eventID of the use's audit record", () => {
  /** The audit record of the request whose x-amzn-RequestId is `requestId`. */
  const recordOf = (log: MemoryAuditLog, requestId: string | undefined) => {
    const found = log.records().filter((r) => r.requestID === requestId);
    assert.equal(found.length, 1, `one record for request ${requestId}`);
    return found[0] as Record<string, unknown>;
  };

  it("names the record of the last use, before and after the uses are flushed to the store", async () => {
    const { log, t } = setUp();
    const key = await t.createKey();
    const encrypted = await t.call('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    const encryptEvent = recordOf(log, encrypted.headers['x-amzn-requestid']).eventID;
    assert.match(encryptEvent as string, UUID);
    assert.deepEqual((await t.ok('GetKeyLastUsage', { KeyId: key.keyId })).KeyLastUsage, {
      Operation: 'Encrypt',
      Timestamp: t.clock.now() / 1000,
      CloudTrailEventId: encryptEvent,
      KmsRequestId: encrypted.headers['x-amzn-requestid'],
    });

    const decrypted = await t.call('Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob });
    const decryptEvent = recordOf(log, decrypted.headers['x-amzn-requestid']).eventID;
    assert.notEqual(decryptEvent, encryptEvent);
    await t.services.keyUsage.flush();
    assert.equal((await t.services.store.getKeyUsage(key))?.eventId, decryptEvent, 'the store keeps it');
    const usage = (await t.ok('GetKeyLastUsage', { KeyId: key.arn })).KeyLastUsage as Record<string, unknown>;
    assert.equal(usage.CloudTrailEventId, decryptEvent);
    assert.equal(usage.KmsRequestId, decrypted.headers['x-amzn-requestid']);
  });

  it('ReEncrypt: one event, the last use of both its keys', async () => {
    const { log, t } = setUp();
    const source = await t.createKey();
    const destination = await t.createKey();
    const encrypted = await t.ok('Encrypt', { KeyId: source.keyId, Plaintext: b64('x') });
    const reEncrypted = await t.call('ReEncrypt', { CiphertextBlob: encrypted.CiphertextBlob, DestinationKeyId: destination.keyId });
    assert.equal(reEncrypted.status, 200);
    const event = recordOf(log, reEncrypted.headers['x-amzn-requestid']).eventID;
    for (const key of [source, destination]) {
      assert.equal(((await t.ok('GetKeyLastUsage', { KeyId: key.keyId })).KeyLastUsage as Record<string, unknown>).CloudTrailEventId, event);
    }
  });

  it('every record still has its own eventID (a request that uses no key too)', async () => {
    const { log, t } = setUp();
    const key = await t.createKey();
    await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    await t.ok('ListKeys', {});
    await t.ok('GenerateRandom', { NumberOfBytes: 8 });
    const ids = log.records().map((r) => r.eventID as string);
    for (const id of ids) assert.match(id, UUID);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('with no audit log there is no event: KeyLastUsage has no CloudTrailEventId', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const encrypted = await t.call('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    await t.services.keyUsage.flush();
    assert.deepEqual((await t.ok('GetKeyLastUsage', { KeyId: key.keyId })).KeyLastUsage, {
      Operation: 'Encrypt',
      Timestamp: t.clock.now() / 1000,
      KmsRequestId: encrypted.headers['x-amzn-requestid'],
    });
    assert.equal(await t.services.store.getKeyUsage(key).then((u) => u && 'eventId' in u), false);
  });
});
