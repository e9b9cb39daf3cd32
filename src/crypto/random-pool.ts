/**
 * Random bytes for nonces, drawn from a block of CSPRNG output refilled as it is used up.
 * Each randomBytes() call costs a few microseconds whatever its size, which dominated the cost
 * of sealing a small envelope (bench/hot-paths.ts); one call for many nonces does not. Every
 * byte is handed out once. Worker processes start fresh (node:cluster spawns, it does not fork
 * memory), so no two processes share a block.
 */
import { randomFillSync } from 'node:crypto';

const BLOCK = 4096;

export class RandomPool {
  private readonly block = Buffer.alloc(BLOCK);
  private offset = BLOCK;

  /** `length` fresh random bytes, copied out of the block. */
  take(length: number): Buffer {
    if (length > BLOCK) throw new Error('request larger than the random block');
    if (this.offset + length > BLOCK) {
      randomFillSync(this.block);
      this.offset = 0;
    }
    const out = Buffer.from(this.block.subarray(this.offset, this.offset + length));
    this.block.fill(0, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
}
