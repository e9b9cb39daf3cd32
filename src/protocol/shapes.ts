/**
 * Types of the AWS service model that request validation is driven by. The model itself is
 * generated from botocore (kms-model.generated.ts); see scripts/gen-model.py.
 */

export type Shape =
  | { type: 'structure'; members: Record<string, string>; required?: string[] }
  | { type: 'list'; member: string; min?: number; max?: number }
  | { type: 'map'; key: string; value: string; min?: number; max?: number }
  | {
      type: 'string';
      min?: number;
      max?: number;
      enum?: string[];
      pattern?: string;
      sensitive?: boolean;
    }
  | { type: 'blob'; min?: number; max?: number; sensitive?: boolean }
  | { type: 'integer' | 'long'; min?: number; max?: number }
  | { type: 'boolean' }
  | { type: 'timestamp' };

export interface ServiceModel {
  /** Operation name -> name of its input structure shape. */
  operations: Record<string, string>;
  shapes: Record<string, Shape>;
}
