/** GenerateRandom: 1 to 1024 cryptographically secure random bytes. */
import { secretBytes } from '../crypto/random.js';
import { UnsupportedOperationException, ValidationException } from '../errors.js';
import { defineOperation } from './context.js';
import { refuseRecipient } from './core/symmetric.js';

interface GenerateRandomInput {
  NumberOfBytes?: number;
  CustomKeyStoreId?: string;
  Recipient?: unknown;
}

export const generateRandomOperation = defineOperation<GenerateRandomInput>('GenerateRandom', async (input) => {
  if (input.NumberOfBytes === undefined) {
    throw new ValidationException(
      "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null",
    );
  }
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException('Custom key stores are not supported by this Trent server.');
  }
  refuseRecipient(input.Recipient);
  return { Plaintext: secretBytes(input.NumberOfBytes) };
});
