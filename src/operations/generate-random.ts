/** GenerateRandom: 1 to 1024 cryptographically secure random bytes. */
import { secretBytes } from '../crypto/random.js';
import { missingMember, UnsupportedOperationException } from '../errors.js';
import { defineOperation } from './context.js';
import { refuseRecipient } from './core/symmetric.js';

export const generateRandomOperation = defineOperation('GenerateRandom', { readOnly: true, resources: [] }, async (input) => {
  if (input.NumberOfBytes === undefined) throw missingMember('numberOfBytes');
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException('Custom key stores are not supported by this Trent server.');
  }
  refuseRecipient(input.Recipient);
  return { Plaintext: secretBytes(input.NumberOfBytes) };
});
