/** GenerateDataKeyWithoutPlaintext: as GenerateDataKey, with the data key encrypted only. */
import { defineOperation } from './context.js';
import { generateDataKey } from './generate-data-key.js';

export const generateDataKeyWithoutPlaintextOperation = defineOperation({
  name: 'GenerateDataKeyWithoutPlaintext',
  actions: ['kms:GenerateDataKeyWithoutPlaintext'],
  readOnly: true,
  resources: ['key'],
  handle: (input, ctx) => generateDataKey(input, ctx, false),
});
