/** GenerateDataKeyPairWithoutPlaintext: as GenerateDataKeyPair, with the private key encrypted only. */
import { defineOperation } from './context.js';
import { generateDataKeyPair, type DataKeyPairInput } from './core/data-key-pair.js';

export const generateDataKeyPairWithoutPlaintextOperation = defineOperation<Omit<DataKeyPairInput, 'Recipient'>>(
  'GenerateDataKeyPairWithoutPlaintext',
  (input, ctx) => generateDataKeyPair(input, ctx, 'GenerateDataKeyPairWithoutPlaintext'),
);
