/**
 * Canonical encoding of an encryption context, used as additional authenticated data.
 *
 * The pairs are sorted by the UTF-8 bytes of their keys and written as
 *
 *   u32be pair-count || for each pair: u32be len(key) || key || u32be len(value) || value
 *
 * Length prefixes make the encoding injective: {"ab": "c"} and {"a": "bc"} encode differently,
 * which plain concatenation (local-kms's flaw) does not guarantee. An absent context and an empty
 * one encode the same, as AWS treats them the same.
 */

export type EncryptionContext = Record<string, string>;

export function encodeEncryptionContext(context: EncryptionContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  let size = 4;
  for (const [k, v] of pairs) size += 8 + k.length + v.length;
  const out = Buffer.allocUnsafe(size);
  let offset = out.writeUInt32BE(pairs.length, 0);
  for (const [k, v] of pairs) {
    offset = out.writeUInt32BE(k.length, offset);
    offset += k.copy(out, offset);
    offset = out.writeUInt32BE(v.length, offset);
    offset += v.copy(out, offset);
  }
  return out;
}
