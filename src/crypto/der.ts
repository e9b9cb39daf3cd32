/**
 * The few DER building blocks Trent writes itself (for ML-KEM/ML-DSA keys, which Node 20's
 * OpenSSL does not know, and for the EC fast path): definite lengths, TLVs and OIDs.
 */

export function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

export function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export const SEQUENCE = 0x30;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;

/** One element read by `readElements`: its tag and its content octets. */
export interface DerElement {
  tag: number;
  content: Buffer;
}

/**
 * The elements of a constructed value whose content is `bytes`, read strictly as DER (X.690
 * §10.1: definite lengths in the fewest octets, single-octet tags), or undefined when `bytes` is
 * not exactly a series of such elements.
 */
export function readElements(bytes: Buffer): DerElement[] | undefined {
  const elements: DerElement[] = [];
  let at = 0;
  while (at < bytes.length) {
    const tag = bytes[at];
    const first = bytes[at + 1];
    if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
    at += 2;
    let size = first;
    if (first >= 0x80) {
      const octets = first & 0x7f;
      if (octets === 0 || octets > 4 || at + octets > bytes.length || bytes[at] === 0) return undefined;
      size = 0;
      for (let i = 0; i < octets; i++) size = size * 256 + (bytes[at + i] ?? 0);
      if (size < 0x80) return undefined;
      at += octets;
    }
    if (at + size > bytes.length) return undefined;
    elements.push({ tag, content: bytes.subarray(at, at + size) });
    at += size;
  }
  return elements;
}

/** The elements of the one SEQUENCE that `bytes` is exactly, or undefined. */
export function readSequence(bytes: Buffer): DerElement[] | undefined {
  const outer = readElements(bytes);
  if (outer?.length !== 1 || outer[0]?.tag !== SEQUENCE) return undefined;
  return readElements(outer[0].content);
}

/** The value of a non-negative INTEGER's content in DER's minimal form, or undefined. */
export function readUnsignedInteger(element: DerElement | undefined): bigint | undefined {
  if (element?.tag !== INTEGER) return undefined;
  const { content } = element;
  const [first = 0, second = 0] = content;
  if (content.length === 0 || first & 0x80) return undefined;
  if (content.length > 1 && first === 0 && !(second & 0x80)) return undefined;
  return BigInt(`0x${content.toString('hex')}`);
}

/** A non-negative INTEGER in DER: big-endian, a leading zero octet only when the high bit is set. */
export function unsignedInteger(value: bigint): Buffer {
  if (value < 0n) throw new Error('negative INTEGER');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return tlv(INTEGER, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}
