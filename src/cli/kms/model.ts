/**
 * The command line's view of the AWS KMS service model: the same generated model the server
 * validates requests with (src/protocol/kms-model.generated.ts), so every operation and member
 * the server knows is a `trent kms` subcommand and option, with its type from the model's shape.
 *
 * Names are spelled as the aws CLI spells them: botocore's `xform_name` turns `GenerateDataKey`
 * into `generate-data-key` and `NumberOfBytes` into `--number-of-bytes` (botocore/__init__.py).
 */
import { kmsModel } from '../../protocol/kms-model.generated.js';
import type { Shape } from '../../protocol/shapes.js';

export const model = kmsModel;

/** botocore's xform_name with '-' as the separator; none of its special cases is a KMS name. */
export function kebabName(name: string): string {
  let head = name;
  let tail = '';
  // An acronym in the plural (GatewayARNs) keeps its 's' with it.
  const plural = /[A-Z]{2,}s$/.exec(name);
  if (plural) {
    head = name.slice(0, -plural[0].length);
    tail = `-${plural[0].toLowerCase()}`;
  }
  const firstCaps = head.replace(/(.)([A-Z][a-z]+)/g, '$1-$2');
  return firstCaps.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase() + tail;
}

export function shape(name: string): Shape {
  const found = Object.hasOwn(model.shapes, name) ? model.shapes[name] : undefined;
  if (!found) throw new Error(`shape ${name} missing from the model`);
  return found;
}

export type StructureShape = Extract<Shape, { type: 'structure' }>;

export function structure(name: string): StructureShape {
  const found = shape(name);
  if (found.type !== 'structure') throw new Error(`shape ${name} is not a structure`);
  return found;
}

export interface CliOperation {
  /** The wire name, `GenerateDataKeyPair`. */
  name: string;
  /** The command name, `generate-data-key-pair`. */
  command: string;
  input: StructureShape;
  inputShape: string;
  outputShape?: string;
}

const byCommand: ReadonlyMap<string, CliOperation> = new Map(
  Object.entries(model.operations)
    .filter(([, io]) => io.input !== 'OperationNotModelledYet')
    .map(([name, io]) => {
      const command = kebabName(name);
      const operation: CliOperation = { name, command, input: structure(io.input), inputShape: io.input };
      if (io.output !== undefined) operation.outputShape = io.output;
      return [command, operation];
    }),
);

export function operationByCommand(command: string): CliOperation | undefined {
  return byCommand.get(command);
}

export function allOperations(): CliOperation[] {
  return [...byCommand.values()].sort((a, b) => a.command.localeCompare(b.command));
}

/**
 * The KMS operations the aws CLI pages through on its own (botocore's kms paginators-1.json):
 * every one of them pages by Marker/Limit in, NextMarker/Truncated out, one list to gather.
 */
const RESULT_KEYS: Record<string, string> = {
  ListAliases: 'Aliases',
  ListGrants: 'Grants',
  ListKeyPolicies: 'PolicyNames',
  ListKeys: 'Keys',
  DescribeCustomKeyStores: 'CustomKeyStores',
  ListResourceTags: 'Tags',
  ListRetirableGrants: 'Grants',
  ListKeyRotations: 'Rotations',
};

export interface Paginator {
  inputToken: 'Marker';
  limitKey: 'Limit';
  outputToken: 'NextMarker';
  moreResults: 'Truncated';
  resultKey: string;
}

export function paginatorOf(operation: string): Paginator | undefined {
  const resultKey = Object.hasOwn(RESULT_KEYS, operation) ? RESULT_KEYS[operation] : undefined;
  if (resultKey === undefined) return undefined;
  return { inputToken: 'Marker', limitKey: 'Limit', outputToken: 'NextMarker', moreResults: 'Truncated', resultKey };
}
