/**
 * A small seeded generator (sfc32, four uint32s of state). Training derives every generator
 * it needs from integers — `fromSeed(seed, epoch, worker)` for a shuffle, `fromSeed(seed, tag)`
 * for initialisation — so a checkpoint only stores `{seed, nextEpoch}` and a resumed run draws
 * exactly the numbers an uninterrupted one would.
 */
export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0);
  }

  /**
   * Seeds from a sequence of integers (each taken as 64 bits: low and high words). Each of the
   * four state words absorbs the words in order through a bijective mixer, so the order
   * matters and equal values do not cancel: (1, 0, 1) and (0, 1, 1) seed different streams.
   */
  static fromSeed(...seeds: number[]): Rng {
    const words = seeds.flatMap((s) => [s | 0, Math.floor(s / 2 ** 32) | 0]);
    const lane = (start: number) => {
      let h = start;
      for (const w of words) h = mix32((h ^ w) + 0x9e3779b9);
      return mix32(h ^ words.length);
    };
    const rng = new Rng([lane(0x243f6a88), lane(0x85a308d3), lane(0x13198a2e), lane(0x03707344)]);
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Uniform integer in [0, n) without modulo bias. */
  int(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }
}

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
