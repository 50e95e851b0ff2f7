import { hash3, hex8 } from './random.js';

/**
 * Machine ids: 40 lower-case hex digits like real MDE ids (docs/mde-api.md#machine-fields, a SHA1-like
 * string). Digits 16..23 carry the device index XOR a seed-derived mask, the other 32 digits are a hash of
 * (seed, index); decoding reads the index back and verifies the rest, so a lookup by id is O(1).
 */

const INDEX_AT = 16;
const HEX40 = /^[0-9a-f]{40}$/;

export class MachineIds {
  private readonly mask: number;

  constructor(private readonly seed: number) {
    this.mask = hash3(seed, 0x1d, 0x3a5c) >>> 0;
  }

  idOf(index: number): string {
    const body =
      hex8(hash3(this.seed, index, 1)) +
      hex8(hash3(this.seed, index, 2)) +
      hex8(hash3(this.seed, index, 3)) +
      hex8(hash3(this.seed, index, 4));
    return body.slice(0, INDEX_AT) + hex8((index ^ this.mask) >>> 0) + body.slice(INDEX_AT);
  }

  /** The index encoded in `id`, or undefined when the id was not made by this tenant. */
  indexOf(id: string): number | undefined {
    if (id.length !== 40 || !HEX40.test(id)) return undefined;
    const index = (Number.parseInt(id.slice(INDEX_AT, INDEX_AT + 8), 16) ^ this.mask) >>> 0;
    if (index > 0x7fffffff) return undefined;
    return this.idOf(index) === id ? index : undefined;
  }
}
