/** GenerateDataKeyPairWithoutPlaintext: as GenerateDataKeyPair, with the private key encrypted only. */
import { defineOperation } from './context.js';
import { generateDataKeyPair } from './generate-data-key-pair.js';

export const generateDataKeyPairWithoutPlaintextOperation = defineOperation('GenerateDataKeyPairWithoutPlaintext', { readOnly: true, resources: ['key'] }, (input, ctx) => generateDataKeyPair(input, ctx, false));
