/**
 * The multi-hot benchmark's model and data: IMDB-like bags of words, 10,000 inputs of which
 * ~1.5% are ones (150 distinct words a sample, uniformly drawn), into Dense(16, relu) →
 * Dense(16, relu) → Dense(1, sigmoid) with binary cross-entropy, the book's IMDB model. The
 * label says whether more of a sample's words fall in the first half of the vocabulary than in
 * the second, so there is something to learn. Drawn as an ImageSet (1 × 10,000 bytes of 0 or
 * 255 a sample), trained from arrays of 0/1 (`multiHotArrays`; the workers keep them as CSR
 * rows), and written as CSR (bench/pytorch/multihot.py reads it) for PyTorch.
 */
import { writeFile } from "node:fs/promises";
import type { ArraySplit } from "../src/core/data/arrays.ts";
import type { ImageSet } from "../src/core/data/dataset.ts";
import { mlpSpec } from "../src/core/model/presets.ts";
import type { ModelSpec } from "../src/core/model/sequential.ts";

export const VOCABULARY = 10_000;
export const WORDS_PER_SAMPLE = 150;

export const multiHotSpec = (): ModelSpec => mlpSpec([16, 16], VOCABULARY, 1, "sigmoid");

/** The set as arrays: 0/1 inputs, its two classes as indices (binary cross-entropy on them). */
export function multiHotArrays(set: ImageSet): ArraySplit {
  return {
    x: { data: Float32Array.from(set.images, (v) => v / 255), shape: [set.count, VOCABULARY] },
    y: { kind: "classes", data: Int32Array.from(set.labels), classes: 2 },
  };
}

/** `count` samples from `seed` (a small xorshift, so PyTorch gets the very same data). */
export function multiHotSet(count: number, seed: number): ImageSet {
  const images = new Uint8Array(count * VOCABULARY);
  const labels = new Uint8Array(count);
  let s = (seed * 0x9e3779b9) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  for (let i = 0; i < count; i++) {
    const row = images.subarray(i * VOCABULARY, (i + 1) * VOCABULARY);
    let low = 0;
    for (let w = 0; w < WORDS_PER_SAMPLE; ) {
      const j = Math.floor(next() * VOCABULARY);
      if (row[j]) continue;
      row[j] = 255;
      if (j < VOCABULARY / 2) low++;
      w++;
    }
    labels[i] = low * 2 > WORDS_PER_SAMPLE ? 1 : 0;
  }
  return { count, rows: 1, cols: VOCABULARY, images, labels };
}

/**
 * The set as little-endian CSR: count, dims (uint32), rowStart (count + 1 int32), the ones'
 * indices (int32), labels (uint8).
 */
export async function writeMultiHot(set: ImageSet, path: string): Promise<void> {
  const dims = set.rows * set.cols;
  const rowStart = new Int32Array(set.count + 1);
  const index: number[] = [];
  for (let i = 0; i < set.count; i++) {
    for (let j = 0; j < dims; j++) if (set.images[i * dims + j]) index.push(j);
    rowStart[i + 1] = index.length;
  }
  const header = new Uint32Array([set.count, dims]);
  const parts = [header, rowStart, Int32Array.from(index), set.labels];
  await writeFile(
    path,
    Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
  );
}
