import { type ImageSet, type SampleSet, type SampleTargets, sampleSize } from "./dataset.ts";

/**
 * Mostly-zero samples kept as CSR rows (multi-hot text, bags of words, one-hot tables): sample
 * i's nonzero inputs are `index[rowStart[i]..rowStart[i+1])`, ascending, with their `value`s
 * (none stored for multi-hot data: every stored input is 1). A 25,000 × 10,000 multi-hot set
 * at 1.5% is 15 MB of indices where dense float32 is 1 GB. A worker's batch filler reads the
 * rows as they are (src/worker/batch.ts), so no sample is ever densified for a sparse step.
 *
 * Its binary form, little-endian, for a shard's section:
 *
 * | offset | size     | field                                     |
 * |--------|----------|-------------------------------------------|
 * | 0      | 4        | magic `SFSR`                              |
 * | 4      | 4        | format version (1)                        |
 * | 8      | 4        | count N                                   |
 * | 12     | 4        | width W (inputs per sample)               |
 * | 16     | 4        | entries E                                 |
 * | 20     | 4        | flags: 1 = values stored                  |
 * | 24     | 4·(N+1)  | rowStart (uint32)                         |
 * |        | 4·E      | index (uint32)                            |
 * |        | 4·E      | value (float32), with flag 1 only         |
 * |        | N        | labels (uint8)                            |
 */
/** A sample set whose inputs are CSR rows (as a worker holds them), its targets as they are. */
export interface SparseSamples {
  readonly count: number;
  /** Inputs per sample. */
  readonly width: number;
  readonly rowStart: Uint32Array;
  readonly index: Uint32Array;
  /** Each entry's value; undefined when every one is 1 (multi-hot). */
  readonly value: Float32Array | undefined;
  readonly y: SampleTargets;
}

/**
 * The set as CSR rows where they take fewer bytes than its dense inputs (4 bytes an index, 4
 * more a value unless every one is 1, against a byte a pixel or 4 bytes a float), else the set
 * itself; pixels are divided by 255 as a worker does. One counting pass decides first.
 */
export function compactSamples(set: SampleSet): SampleSet | SparseSamples {
  const scale = set.x instanceof Uint8Array ? 255 : 1;
  let entries = 0;
  let allOnes = true;
  for (const v of set.x) {
    if (v === 0) continue;
    entries++;
    if (v !== scale) allOnes = false;
  }
  return entries * (allOnes ? 4 : 8) >= set.x.byteLength ? set : toSparseSamples(set);
}

/** The set's nonzero inputs as CSR rows (pixels divided by 255), whatever their density. */
export function toSparseSamples(set: SampleSet): SparseSamples {
  const scale = set.x instanceof Uint8Array ? 255 : 1;
  const width = sampleSize(set);
  const rows = sparseFromDense(set.x, set.count, width, new Uint8Array(set.count), scale);
  const { rowStart, index, value } = rows;
  return { count: set.count, width, rowStart, index, value, y: set.y };
}

export interface SparseSet {
  readonly count: number;
  /** Inputs per sample. */
  readonly width: number;
  readonly rowStart: Uint32Array;
  readonly index: Uint32Array;
  /** Each entry's value; undefined when every one is 1 (multi-hot). */
  readonly value: Float32Array | undefined;
  readonly labels: Uint8Array;
}

const MAGIC = 0x52534653; // "SFSR" read as little-endian uint32
const VERSION = 1;
const HEADER_BYTES = 24;
const HAS_VALUES = 1;

/** A mostly-zero set's problem, naming where it came from. */
export class SparseSetError extends Error {
  constructor(source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.name = "SparseSetError";
  }
}

/**
 * The nonzero inputs of `count` dense samples of `width` values each, divided by `divisor`
 * (255 for pixels: the worker's own scaling); values are dropped when every nonzero one is 1.
 */
export function sparseFromDense(
  dense: Uint8Array | Float32Array,
  count: number,
  width: number,
  labels: Uint8Array,
  divisor = 1,
): SparseSet {
  if (dense.length !== count * width || labels.length !== count) {
    throw new SparseSetError(
      "sparseFromDense",
      `${dense.length} values and ${labels.length} labels for ${count} samples of ${width}`,
    );
  }
  let entries = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) entries++;
  const rowStart = new Uint32Array(count + 1);
  const index = new Uint32Array(entries);
  const value = new Float32Array(entries);
  let e = 0;
  let allOnes = true;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < width; j++) {
      const v = dense[i * width + j] / divisor;
      if (v === 0) continue;
      index[e] = j;
      value[e++] = v;
      if (v !== 1) allOnes = false;
    }
    rowStart[i + 1] = e;
  }
  return { count, width, rowStart, index, value: allOnes ? undefined : value, labels };
}

export function encodeSparseSet(set: SparseSet): Uint8Array {
  checkSparseSet(set, "encodeSparseSet");
  const entries = set.index.length;
  const valueBytes = set.value ? 4 * entries : 0;
  const size = HEADER_BYTES + 4 * (set.count + 1) + 4 * entries + valueBytes + set.count;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const header = [MAGIC, VERSION, set.count, set.width, entries, set.value ? HAS_VALUES : 0];
  for (const [i, v] of header.entries()) view.setUint32(4 * i, v, true);
  let offset = HEADER_BYTES;
  for (const part of [set.rowStart, set.index, set.value, set.labels]) {
    if (!part) continue;
    // Typed arrays are little-endian on every platform these runtimes support.
    out.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
    offset += part.byteLength;
  }
  return out;
}

export function decodeSparseSet(bytes: Uint8Array, source = "sparse set"): SparseSet {
  if (bytes.length < HEADER_BYTES) {
    throw new SparseSetError(
      source,
      `truncated: ${bytes.length} bytes, no ${HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, count, width, entries, flags] = [0, 1, 2, 3, 4, 5].map((i) =>
    view.getUint32(4 * i, true),
  );
  if (magic !== MAGIC) throw new SparseSetError(source, "not a shardfit sparse set (bad magic)");
  if (version !== VERSION) {
    throw new SparseSetError(source, `format version ${version}, expected ${VERSION}`);
  }
  if (flags & ~HAS_VALUES) throw new SparseSetError(source, `unknown flags ${flags}`);
  const hasValues = (flags & HAS_VALUES) !== 0;
  const expected = HEADER_BYTES + 4 * (count + 1) + 4 * entries * (hasValues ? 2 : 1) + count;
  if (bytes.length !== expected) {
    throw new SparseSetError(
      source,
      `expected ${expected} bytes for ${count} samples and ${entries} entries, got ${bytes.length}`,
    );
  }
  // Copies: the parts start at offsets the typed arrays need not be aligned to.
  let offset = HEADER_BYTES;
  const take = (n: number) => {
    const part = bytes.slice(offset, offset + n);
    offset += n;
    return part.buffer;
  };
  const set: SparseSet = {
    count,
    width,
    rowStart: new Uint32Array(take(4 * (count + 1))),
    index: new Uint32Array(take(4 * entries)),
    value: hasValues ? new Float32Array(take(4 * entries)) : undefined,
    labels: new Uint8Array(take(count)),
  };
  checkSparseSet(set, source);
  return set;
}

/** Rows that start at 0, never go backwards, end at the entries; indices ascending below width. */
export function checkSparseSet(set: SparseSet, source: string): void {
  const { count, width, rowStart, index, value, labels } = set;
  if (!Number.isInteger(width) || width < 1) {
    throw new SparseSetError(source, `width ${width} must be a positive integer`);
  }
  if (rowStart.length !== count + 1 || labels.length !== count) {
    throw new SparseSetError(
      source,
      `${rowStart.length} row starts and ${labels.length} labels for ${count} samples`,
    );
  }
  if (rowStart[0] !== 0 || rowStart[count] !== index.length) {
    throw new SparseSetError(
      source,
      `rows span entries ${rowStart[0]}..${rowStart[count]}, expected 0..${index.length}`,
    );
  }
  if (value && value.length !== index.length) {
    throw new SparseSetError(source, `${value.length} values for ${index.length} indices`);
  }
  for (let i = 0; i < count; i++) {
    if (rowStart[i + 1] < rowStart[i]) {
      throw new SparseSetError(source, `sample ${i}'s row ends before it starts`);
    }
    for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
      const j = index[e];
      if (j >= width || (e > rowStart[i] && j <= index[e - 1])) {
        throw new SparseSetError(
          source,
          `sample ${i}: input ${j} is past the width ${width} or not after the one before`,
        );
      }
    }
  }
}
