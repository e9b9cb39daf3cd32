/**
 * The AWS Encryption SDK for JavaScript (@aws-crypto/client-node) with its KMS keyring pointed
 * at Trent: envelope encryption as applications do it, where the SDK calls GenerateDataKey,
 * Encrypt and Decrypt with the message's encryption context and checks the key ARNs Trent
 * answers with against the keyring's. A message whose stored encryption context was altered
 * must not decrypt: Trent refuses the data key under the other context.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { buildClient, CommitmentPolicy, getClient, KMS, KmsKeyringNode, type KmsNodeClientSupplier } from '@aws-crypto/client-node';
import { CreateAliasCommand } from '@aws-sdk/client-kms';
import { createKey, uniqueAlias, useServer } from '../helpers/functional.js';

const server = useServer();
const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

/**
 * KMS clients for the keyring, one per region of its keys' ARNs, going to Trent. (The SDK's
 * types disagree with the KMS client's under exactOptionalPropertyTypes, hence the cast.)
 */
function clientProvider(): KmsNodeClientSupplier {
  return getClient(KMS as unknown as Parameters<typeof getClient>[0], {
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
  });
}

function keyring(generatorKeyId: string | undefined, keyIds: string[] = []): KmsKeyringNode {
  return new KmsKeyringNode({ clientProvider: clientProvider(), keyIds, ...(generatorKeyId === undefined ? {} : { generatorKeyId }) });
}

const CONTEXT = { purpose: 'backup', team: 'infra' };

describe('AWS Encryption SDK for JavaScript, KMS keyring', () => {
  test('encrypts with an encryption context under an alias, decrypts with the key ARN the SDK recorded', async () => {
    const key = await createKey(server.kms);
    const alias = uniqueAlias('esdk');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    const aliasArn = `arn:aws:kms:us-east-1:${key.AWSAccountId}:${alias}`;
    const plaintext = randomBytes(5000);

    const { result, messageHeader } = await encrypt(keyring(aliasArn), plaintext, { encryptionContext: CONTEXT });
    // GenerateDataKey answers with the key ARN, which the SDK stores as the data key's provider info.
    assert.deepEqual(
      messageHeader.encryptedDataKeys.map((edk) => [edk.providerId, edk.providerInfo]),
      [['aws-kms', key.Arn]],
    );
    const decrypted = await decrypt(keyring(key.Arn), result);
    assert.deepEqual(decrypted.plaintext, plaintext);
    // The signing suite adds its public key; ours must be there unchanged.
    assert.deepEqual({ purpose: decrypted.messageHeader.encryptionContext.purpose, team: decrypted.messageHeader.encryptionContext.team }, CONTEXT);
  });

  test('a second key in the keyring gets the data key by Encrypt; a keyring of that key alone decrypts', async () => {
    const [generator, second] = await Promise.all([createKey(server.kms), createKey(server.kms)]);
    const plaintext = Buffer.from('two keys, one message');
    const { result, messageHeader } = await encrypt(keyring(generator.Arn, [second.Arn]), plaintext, { encryptionContext: CONTEXT });
    assert.deepEqual(messageHeader.encryptedDataKeys.map((edk) => edk.providerInfo), [generator.Arn, second.Arn]);
    const decrypted = await decrypt(keyring(undefined, [second.Arn]), result);
    assert.deepEqual(decrypted.plaintext, plaintext);
  });

  test('a message whose encryption context was altered does not decrypt: Trent refuses the data key', async () => {
    const key = await createKey(server.kms);
    const { result } = await encrypt(keyring(key.Arn), Buffer.from('bound to its context'), { encryptionContext: CONTEXT });
    const at = result.indexOf(Buffer.from('backup'));
    assert.ok(at > 0, 'the header holds the encryption context');
    const altered = Buffer.from(result);
    altered.write('bqckup', at); // same length: the header still parses, with another context
    await assert.rejects(decrypt(keyring(key.Arn), altered), (err: Error) => {
      assert.match(err.message, /InvalidCiphertextException/);
      return true;
    });
    // The unaltered message still decrypts.
    assert.equal((await decrypt(keyring(key.Arn), result)).plaintext.toString(), 'bound to its context');
  });
});
