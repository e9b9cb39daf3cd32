/** GenerateRandom: 1 to 1024 cryptographically secure random bytes; with a Recipient, as CiphertextForRecipient. */
import { secretBytes } from '../crypto/random.js';
import { missingMember, UnsupportedOperationException } from '../errors.js';
import { defineOperation } from './context.js';

export const generateRandomOperation = defineOperation('GenerateRandom', { readOnly: true, resources: [], recipient: { secret: 'Plaintext' } }, async (input) => {
  if (input.NumberOfBytes === undefined) throw missingMember('numberOfBytes');
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException('Custom key stores are not supported by this Trent server.');
  }
  return { Plaintext: secretBytes(input.NumberOfBytes) };
});
