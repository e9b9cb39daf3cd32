/**
 * The explicit registry of the operations Trent serves, built from their declarations and the
 * service model. An operation the model knows but that is not listed here answers
 * UnsupportedOperationException; a name the model does not know answers
 * UnknownOperationException (both decided by the pipeline's target stage).
 */
import type { KmsOperations, OperationName } from '../kms-types.generated.js';
import { sensitivePaths, type ServiceModel } from '../protocol/shapes.js';
import { cancelKeyDeletionOperation } from './cancel-key-deletion.js';
import type { Operation, OperationDeclaration } from './context.js';
import { sealForRecipient } from './core/recipient.js';
import { createAliasOperation } from './create-alias.js';
import { createGrantOperation } from './create-grant.js';
import { createKeyOperation } from './create-key.js';
import { decapsulateOperation } from './decapsulate.js';
import { decryptOperation } from './decrypt.js';
import { deleteAliasOperation } from './delete-alias.js';
import { deleteImportedKeyMaterialOperation } from './delete-imported-key-material.js';
import { deriveSharedSecretOperation } from './derive-shared-secret.js';
import { describeKeyOperation } from './describe-key.js';
import { disableKeyOperation } from './disable-key.js';
import { disableKeyRotationOperation } from './disable-key-rotation.js';
import { enableKeyOperation } from './enable-key.js';
import { enableKeyRotationOperation } from './enable-key-rotation.js';
import { encapsulateOperation } from './encapsulate.js';
import { encryptOperation } from './encrypt.js';
import { generateDataKeyOperation } from './generate-data-key.js';
import { generateDataKeyPairOperation } from './generate-data-key-pair.js';
import { generateDataKeyPairWithoutPlaintextOperation } from './generate-data-key-pair-without-plaintext.js';
import { generateDataKeyWithoutPlaintextOperation } from './generate-data-key-without-plaintext.js';
import { generateMacOperation } from './generate-mac.js';
import { generateRandomOperation } from './generate-random.js';
import { getKeyLastUsageOperation } from './get-key-last-usage.js';
import { getKeyPolicyOperation } from './get-key-policy.js';
import { getKeyRotationStatusOperation } from './get-key-rotation-status.js';
import { getParametersForImportOperation } from './get-parameters-for-import.js';
import { getPublicKeyOperation } from './get-public-key.js';
import { importKeyMaterialOperation } from './import-key-material.js';
import { listAliasesOperation } from './list-aliases.js';
import { listGrantsOperation } from './list-grants.js';
import { listKeyPoliciesOperation } from './list-key-policies.js';
import { listKeyRotationsOperation } from './list-key-rotations.js';
import { listKeysOperation } from './list-keys.js';
import { listResourceTagsOperation } from './list-resource-tags.js';
import { listRetirableGrantsOperation } from './list-retirable-grants.js';
import { putKeyPolicyOperation } from './put-key-policy.js';
import { reEncryptOperation } from './re-encrypt.js';
import { replicateKeyOperation } from './replicate-key.js';
import { retireGrantOperation } from './retire-grant.js';
import { revokeGrantOperation } from './revoke-grant.js';
import { rotateKeyOnDemandOperation } from './rotate-key-on-demand.js';
import { scheduleKeyDeletionOperation } from './schedule-key-deletion.js';
import { signOperation } from './sign.js';
import { tagResourceOperation } from './tag-resource.js';
import { untagResourceOperation } from './untag-resource.js';
import { updateAliasOperation } from './update-alias.js';
import { updateKeyDescriptionOperation } from './update-key-description.js';
import { updatePrimaryRegionOperation } from './update-primary-region.js';
import { verifyOperation } from './verify.js';
import { verifyMacOperation } from './verify-mac.js';

/**
 * Joins a declaration with what the model says of its operation. The handler's input type is the
 * generated type of the very shape the pipeline validated the input against, so this is the one
 * place the validated input is given its operation's type.
 */
function register<N extends OperationName>(model: ServiceModel, declaration: OperationDeclaration<N>): Operation {
  const shapes = Object.hasOwn(model.operations, declaration.name) ? model.operations[declaration.name] : undefined;
  if (!shapes) throw new Error(`operation ${declaration.name} missing from the model`);
  const typed = (input: Record<string, unknown>) => input as KmsOperations[N]['input'];
  const recipient = declaration.recipient;
  checkRecipient(model, declaration.name, shapes, recipient !== undefined && [recipient.secret, ...(recipient.omit ?? [])]);
  return {
    name: declaration.name,
    actions: declaration.actions ?? [`kms:${declaration.name}`],
    readOnly: declaration.readOnly,
    resources: declaration.resources,
    sensitive: {
      input: [...sensitivePaths(model, shapes.input), ...(declaration.sensitive?.input ?? [])],
      output: [...(shapes.output === undefined ? [] : sensitivePaths(model, shapes.output)), ...(declaration.sensitive?.output ?? [])],
    },
    facts: (input) => declaration.facts?.(typed(input)) ?? {},
    recipient,
    handle: async (input, ctx) => {
      const output = await declaration.handle(typed(input), ctx);
      return recipient && ctx.recipient ? sealForRecipient(output, recipient, ctx.recipient) : output;
    },
  };
}

function members(model: ServiceModel, shapeName: string | undefined): Record<string, string> {
  const shape = shapeName !== undefined && Object.hasOwn(model.shapes, shapeName) ? model.shapes[shapeName] : undefined;
  return shape?.type === 'structure' ? shape.members : {};
}

/**
 * An operation declares a Recipient exactly when the model gives its input one, and the output
 * members it names exist, besides CiphertextForRecipient: a Recipient is never silently ignored.
 */
function checkRecipient(model: ServiceModel, name: string, shapes: { input: string; output?: string }, outputMembers: false | readonly string[]): void {
  const takesRecipient = Object.hasOwn(members(model, shapes.input), 'Recipient');
  if (takesRecipient !== (outputMembers !== false)) throw new Error(`operation ${name}: Recipient declared ${!takesRecipient}, model says ${takesRecipient}`);
  if (outputMembers === false) return;
  const output = members(model, shapes.output);
  for (const member of [...outputMembers, 'CiphertextForRecipient']) {
    if (!Object.hasOwn(output, member)) throw new Error(`operation ${name}: output member ${member} missing from the model`);
  }
}

export type Registry = ReadonlyMap<string, Operation>;

export function createRegistry(model: ServiceModel): Registry {
  const operations = [
    register(model, cancelKeyDeletionOperation),
    register(model, createAliasOperation),
    register(model, createGrantOperation),
    register(model, createKeyOperation),
    register(model, decapsulateOperation),
    register(model, decryptOperation),
    register(model, deleteAliasOperation),
    register(model, deleteImportedKeyMaterialOperation),
    register(model, deriveSharedSecretOperation),
    register(model, describeKeyOperation),
    register(model, disableKeyOperation),
    register(model, disableKeyRotationOperation),
    register(model, enableKeyOperation),
    register(model, enableKeyRotationOperation),
    register(model, encapsulateOperation),
    register(model, encryptOperation),
    register(model, generateDataKeyOperation),
    register(model, generateDataKeyPairOperation),
    register(model, generateDataKeyPairWithoutPlaintextOperation),
    register(model, generateDataKeyWithoutPlaintextOperation),
    register(model, generateMacOperation),
    register(model, generateRandomOperation),
    register(model, getKeyLastUsageOperation),
    register(model, getKeyPolicyOperation),
    register(model, getKeyRotationStatusOperation),
    register(model, getParametersForImportOperation),
    register(model, getPublicKeyOperation),
    register(model, importKeyMaterialOperation),
    register(model, listAliasesOperation),
    register(model, listGrantsOperation),
    register(model, listKeyPoliciesOperation),
    register(model, listKeyRotationsOperation),
    register(model, listKeysOperation),
    register(model, listResourceTagsOperation),
    register(model, listRetirableGrantsOperation),
    register(model, putKeyPolicyOperation),
    register(model, reEncryptOperation),
    register(model, replicateKeyOperation),
    register(model, retireGrantOperation),
    register(model, revokeGrantOperation),
    register(model, rotateKeyOnDemandOperation),
    register(model, scheduleKeyDeletionOperation),
    register(model, signOperation),
    register(model, tagResourceOperation),
    register(model, untagResourceOperation),
    register(model, updateAliasOperation),
    register(model, updateKeyDescriptionOperation),
    register(model, updatePrimaryRegionOperation),
    register(model, verifyMacOperation),
    register(model, verifyOperation),
  ];
  return new Map(operations.map((operation) => [operation.name, operation]));
}
