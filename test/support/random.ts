/**
 * mulberry32: a small seeded generator of floats in [0, 1) for test data (property tests draw
 * their seed from fast-check, so a failing case replays). Not the trainer's Rng, on purpose:
 * test data should not move when the trainer's generator changes.
 */
export function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
