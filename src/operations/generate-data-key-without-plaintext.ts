/** GenerateDataKeyWithoutPlaintext: as GenerateDataKey, with the data key encrypted only. */
import { defineOperation } from './context.js';
import { generateDataKey, type DataKeyInput } from './core/data-key.js';

export const generateDataKeyWithoutPlaintextOperation = defineOperation<Omit<DataKeyInput, 'Recipient'>>(
  'GenerateDataKeyWithoutPlaintext',
  (input, ctx) => generateDataKey(input, ctx, 'GenerateDataKeyWithoutPlaintext'),
);
