/**
 * The multi-hot benchmark's model and data: IMDB-like bags of words, 10,000 inputs of which
 * ~1.5% are ones (150 distinct words a sample, uniformly drawn), into Dense(16, relu) →
 * Dense(16, relu) → Dense(1, sigmoid) with binary cross-entropy, the book's IMDB model. The
 * label says whether more of a sample's words fall in the first half of the vocabulary than in
 * the second, so there is something to learn. Drawn straight as CSR rows and trained from
 * them (`multiHotArrays`: CSR inputs, never a dense block), and written as CSR
 * (bench/pytorch/multihot.py reads it) for PyTorch.
 */
import { writeFile } from "node:fs/promises";
import type { ArraySplit, SparseInputs } from "../src/core/data/arrays.ts";
import { mlpSpec } from "../src/core/model/presets.ts";
import type { ModelSpec } from "../src/core/model/sequential.ts";

export const VOCABULARY = 10_000;
export const WORDS_PER_SAMPLE = 150;

export const multiHotSpec = (): ModelSpec => mlpSpec([16, 16], VOCABULARY, 1, "sigmoid");

/** `count` samples: each one's words as ascending CSR rows, and its label (0 or 1). */
export interface MultiHotSet {
  readonly count: number;
  readonly rowStart: Int32Array;
  readonly index: Int32Array;
  readonly labels: Uint8Array;
}

/** The set as arrays: CSR inputs of ones, its two classes as indices (binary cross-entropy). */
export function multiHotArrays(set: MultiHotSet): ArraySplit<SparseInputs> {
  return {
    x: { rowStart: set.rowStart, index: set.index, shape: [set.count, VOCABULARY] },
    y: { kind: "classes", data: Int32Array.from(set.labels), classes: 2 },
  };
}

/** `count` samples from `seed` (a small xorshift, so PyTorch gets the very same data). */
export function multiHotSet(count: number, seed: number): MultiHotSet {
  const rowStart = new Int32Array(count + 1);
  const index = new Int32Array(count * WORDS_PER_SAMPLE);
  const labels = new Uint8Array(count);
  const taken = new Uint8Array(VOCABULARY);
  let s = (seed * 0x9e3779b9) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  for (let i = 0; i < count; i++) {
    const row = index.subarray(i * WORDS_PER_SAMPLE, (i + 1) * WORDS_PER_SAMPLE);
    let low = 0;
    for (let w = 0; w < WORDS_PER_SAMPLE; ) {
      const j = Math.floor(next() * VOCABULARY);
      if (taken[j]) continue;
      taken[j] = 1;
      row[w++] = j;
      if (j < VOCABULARY / 2) low++;
    }
    row.sort();
    for (const j of row) taken[j] = 0;
    rowStart[i + 1] = (i + 1) * WORDS_PER_SAMPLE;
    labels[i] = low * 2 > WORDS_PER_SAMPLE ? 1 : 0;
  }
  return { count, rowStart, index, labels };
}

/**
 * The set as little-endian CSR: count, dims (uint32), rowStart (count + 1 int32), the ones'
 * indices (int32), labels (uint8).
 */
export async function writeMultiHot(set: MultiHotSet, path: string): Promise<void> {
  const header = new Uint32Array([set.count, VOCABULARY]);
  const parts = [header, set.rowStart, set.index, set.labels];
  await writeFile(
    path,
    Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
  );
}
