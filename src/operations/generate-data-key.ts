/** GenerateDataKey: a symmetric data key in plaintext and encrypted under a KMS key. */
import { defineOperation } from './context.js';
import { generateDataKey, type DataKeyInput } from './core/data-key.js';

export const generateDataKeyOperation = defineOperation<DataKeyInput>('GenerateDataKey', (input, ctx) =>
  generateDataKey(input, ctx, 'GenerateDataKey'),
);
