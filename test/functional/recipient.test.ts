/**
 * Recipient over HTTP with real clients: a server trusting a test kit's root through
 * TRENT_ATTESTATION_ROOTS, driven by @aws-sdk/client-kms and boto3, whose CiphertextForRecipient
 * `openssl cms -decrypt` opens with the enclave's key; a bad document answered with an
 * AWS-shaped ValidationException the SDK raises by name. The attestation checks themselves are
 * test/unit/attestation.test.ts; every operation and spec is test/operations/recipient.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { DecryptCommand, GenerateDataKeyCommand, GenerateDataKeyPairCommand, GenerateRandomCommand } from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { newKit } from '../helpers/attestation.js';
import { createKey, needsOwnServer, useOwnServer } from '../helpers/functional.js';

const kit = await newKit();
after(() => kit.cleanup());

describe('Recipient through real clients', { skip: needsOwnServer('its trusted attestation root is configured') }, () => {
  const server = useOwnServer({ env: { TRENT_ATTESTATION_ROOTS: kit.rootPemFile } });

  it('@aws-sdk/client-kms: GenerateDataKeyPair RSA_2048 and GenerateRandom', async () => {
    const key = await createKey(server.kms);
    const Recipient = { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const, AttestationDocument: await kit.document() };
    const pair = await server.kms.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: 'RSA_2048', EncryptionContext: { a: 'b' }, Recipient }));
    assert.equal(pair.PrivateKeyPlaintext, undefined);
    assert.ok(pair.CiphertextForRecipient && pair.PrivateKeyCiphertextBlob);
    const pkcs8 = kit.decrypt(Buffer.from(pair.CiphertextForRecipient));
    const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { a: 'b' } }));
    assert.deepEqual(pkcs8, Buffer.from(decrypted.Plaintext!));
    const random = await server.kms.send(new GenerateRandomCommand({ NumberOfBytes: 48, Recipient }));
    assert.equal(random.Plaintext, undefined);
    assert.equal(kit.decrypt(Buffer.from(random.CiphertextForRecipient!)).length, 48);
  });

  it('@aws-sdk/client-kms: a document signed under another root is a ValidationException', async () => {
    const key = await createKey(server.kms);
    const other = await newKit();
    try {
      const AttestationDocument = await other.document();
      const error = await awsError(() => server.kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', Recipient: { AttestationDocument } })));
      assert.deepEqual(error, {
        name: 'ValidationException',
        message: 'The attestation document in Recipient is not valid: its certificate chain does not lead to a trusted root.',
        status: 400,
      });
    } finally {
      other.cleanup();
    }
  });

  it('boto3: generate_data_key and decrypt with a Recipient', async () => {
    const document = await kit.document();
    const script = `
import base64, json, sys
import boto3
kms = boto3.client('kms', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='local', aws_secret_access_key='local')
key = kms.create_key()['KeyMetadata']['KeyId']
recipient = {'KeyEncryptionAlgorithm': 'RSAES_OAEP_SHA_256', 'AttestationDocument': base64.b64decode(sys.argv[2])}
data_key = kms.generate_data_key(KeyId=key, KeySpec='AES_256', Recipient=recipient)
plain = kms.decrypt(CiphertextBlob=data_key['CiphertextBlob'])
sealed = kms.decrypt(CiphertextBlob=data_key['CiphertextBlob'], Recipient=recipient)
print(json.dumps({
    'members': sorted(k for k in data_key if k != 'ResponseMetadata'),
    'decryptMembers': sorted(k for k in sealed if k != 'ResponseMetadata'),
    'forRecipient': base64.b64encode(data_key['CiphertextForRecipient']).decode(),
    'decryptForRecipient': base64.b64encode(sealed['CiphertextForRecipient']).decode(),
    'plaintext': base64.b64encode(plain['Plaintext']).decode(),
}))
`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('python3', ['-c', script, server.url, document.toString('base64')], { timeout: 60_000 }, (error, out, stderr) =>
        error ? reject(new Error(`python3 failed: ${stderr}`)) : resolve(out),
      );
    });
    const out = JSON.parse(stdout) as Record<string, string | string[]>;
    assert.deepEqual(out.members, ['CiphertextBlob', 'CiphertextForRecipient', 'KeyId']);
    assert.deepEqual(out.decryptMembers, ['CiphertextForRecipient', 'EncryptionAlgorithm', 'KeyId']);
    const dataKey = Buffer.from(out.plaintext as string, 'base64');
    assert.equal(dataKey.length, 32);
    assert.deepEqual(kit.decrypt(Buffer.from(out.forRecipient as string, 'base64')), dataKey);
    assert.deepEqual(kit.decrypt(Buffer.from(out.decryptForRecipient as string, 'base64')), dataKey);
  });
});
