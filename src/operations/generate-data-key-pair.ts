/** GenerateDataKeyPair: a data key pair with its private key in plaintext and encrypted. */
import { defineOperation } from './context.js';
import { generateDataKeyPair, type DataKeyPairInput } from './core/data-key-pair.js';

export const generateDataKeyPairOperation = defineOperation<DataKeyPairInput>('GenerateDataKeyPair', (input, ctx) =>
  generateDataKeyPair(input, ctx, 'GenerateDataKeyPair'),
);
