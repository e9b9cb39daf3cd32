/** GenerateDataKeyWithoutPlaintext: as GenerateDataKey, with the data key encrypted only. */
import { defineOperation } from './context.js';
import { generateDataKey } from './generate-data-key.js';

export const generateDataKeyWithoutPlaintextOperation = defineOperation('GenerateDataKeyWithoutPlaintext', { readOnly: true, resources: ['key'] }, (input, ctx) => generateDataKey(input, ctx, false));
