/**
 * The explicit registry of the operations Trent serves. An operation the AWS model knows but
 * that is not listed here answers UnsupportedOperationException; a name the model does not know
 * answers UnknownOperationException.
 */
import type { Operation } from './context.js';
import { cancelKeyDeletionOperation } from './cancel-key-deletion.js';
import { createAliasOperation } from './create-alias.js';
import { createKeyOperation } from './create-key.js';
import { decryptOperation } from './decrypt.js';
import { deleteAliasOperation } from './delete-alias.js';
import { describeKeyOperation } from './describe-key.js';
import { disableKeyOperation } from './disable-key.js';
import { enableKeyOperation } from './enable-key.js';
import { encryptOperation } from './encrypt.js';
import { generateDataKeyOperation } from './generate-data-key.js';
import { generateDataKeyPairOperation } from './generate-data-key-pair.js';
import { generateDataKeyPairWithoutPlaintextOperation } from './generate-data-key-pair-without-plaintext.js';
import { generateDataKeyWithoutPlaintextOperation } from './generate-data-key-without-plaintext.js';
import { generateRandomOperation } from './generate-random.js';
import { listAliasesOperation } from './list-aliases.js';
import { listKeysOperation } from './list-keys.js';
import { listResourceTagsOperation } from './list-resource-tags.js';
import { reEncryptOperation } from './re-encrypt.js';
import { scheduleKeyDeletionOperation } from './schedule-key-deletion.js';
import { tagResourceOperation } from './tag-resource.js';
import { untagResourceOperation } from './untag-resource.js';
import { updateAliasOperation } from './update-alias.js';

// Each operation's input type is guaranteed by model validation before dispatch.
const operations: readonly Operation<never>[] = [
  cancelKeyDeletionOperation,
  createAliasOperation,
  createKeyOperation,
  decryptOperation,
  deleteAliasOperation,
  describeKeyOperation,
  disableKeyOperation,
  enableKeyOperation,
  encryptOperation,
  generateDataKeyOperation,
  generateDataKeyPairOperation,
  generateDataKeyPairWithoutPlaintextOperation,
  generateDataKeyWithoutPlaintextOperation,
  generateRandomOperation,
  listAliasesOperation,
  listKeysOperation,
  listResourceTagsOperation,
  reEncryptOperation,
  scheduleKeyDeletionOperation,
  tagResourceOperation,
  untagResourceOperation,
  updateAliasOperation,
] as readonly Operation<never>[];

export const operationsByName: ReadonlyMap<string, Operation<never>> = new Map(operations.map((op) => [op.name, op]));
