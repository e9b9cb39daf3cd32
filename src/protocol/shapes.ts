/**
 * Types of the AWS service model that request validation and the operation registry are driven
 * by. The model itself is generated from botocore (kms-model.generated.ts); see
 * scripts/gen-model.py.
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

export interface OperationModel {
  /** Name of the input structure shape. */
  input: string;
  /** Name of the output structure shape; absent when the operation answers `{}`. */
  output?: string;
}

export interface ServiceModel {
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

function shapeOf(model: ServiceModel, name: string): Shape {
  const shape = Object.hasOwn(model.shapes, name) ? model.shapes[name] : undefined;
  if (!shape) throw new Error(`shape ${name} missing from the model`);
  return shape;
}

/**
 * The paths of the members of structure `shapeName` whose shape carries the model's `sensitive`
 * trait (`Plaintext`, `Recipient.AttestationDocument`, `Items.member.Secret`): what logs and
 * audit records must never show.
 */
export function sensitivePaths(model: ServiceModel, shapeName: string): string[] {
  const paths: string[] = [];
  const walk = (name: string, path: string, seen: ReadonlySet<string>): void => {
    if (seen.has(name)) return;
    const shape = shapeOf(model, name);
    const next = new Set(seen).add(name);
    switch (shape.type) {
      case 'structure':
        for (const [member, memberShape] of Object.entries(shape.members)) walk(memberShape, path === '' ? member : `${path}.${member}`, next);
        return;
      case 'list':
        return walk(shape.member, `${path}.member`, next);
      case 'map':
        return walk(shape.value, `${path}.value`, next);
      case 'string':
      case 'blob':
        if (shape.sensitive === true) paths.push(path);
        return;
      default:
        return;
    }
  };
  walk(shapeName, '', new Set());
  return paths;
}
