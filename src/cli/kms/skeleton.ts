/**
 * `--generate-cli-skeleton`: a document of an operation's input or output with every member,
 * as botocore's ArgumentGenerator builds it. Input: strings '', numbers 0, booleans true, one
 * element per list, `KeyName` for a map's key. Output: strings are their member's name. Where
 * the aws CLI picks an enum value at random, Trent takes the first, so the skeleton is stable.
 */
import { shape } from './model.js';

export function skeleton(shapeName: string, forOutput: boolean): unknown {
  const walk = (name: string, stack: string[], memberName: string): unknown => {
    const s = shape(name);
    switch (s.type) {
      case 'structure': {
        if (stack.includes(name)) return {};
        const out: Record<string, unknown> = {};
        for (const [member, memberShape] of Object.entries(s.members)) out[member] = walk(memberShape, [...stack, name], member);
        return out;
      }
      case 'list':
        return [walk(s.member, stack, forOutput ? s.member : '')];
      case 'map':
        return { KeyName: walk(s.value, stack, '') };
      case 'string':
        if (forOutput) return memberName;
        return s.enum?.[0] ?? '';
      case 'integer':
      case 'long':
        return 0;
      case 'boolean':
        return true;
      case 'timestamp':
        return '1970-01-01T00:00:00';
      case 'blob':
        return null;
    }
  };
  return walk(shapeName, [], '');
}
