import { readSparseRows, type SparseRows, sparseRowsBytes, writeSparseRows } from "./csr.ts";
import { isSparseRows, type SampleSet, type SampleTargets } from "./dataset.ts";
import { compactSamples } from "./sparse.ts";

/**
 * The binary shard a worker receives (served by `GET /shards/:index`): a worker's training
 * samples and its part of the test set, little-endian.
 *
 * | offset | size | field                                                          |
 * |--------|------|----------------------------------------------------------------|
 * | 0      | 4    | magic `SFSH`                                                   |
 * | 4      | 4    | format version (3)                                             |
 * | 8      | 4    | dense inputs: 0 = pixel bytes (scaled by 1/255 on use), 1 = float32 |
 * | 12     | 4    | sample rank R, 1 to 4                                          |
 * | 16     | 16   | sample shape (R dimensions, then zeros)                        |
 * | 32     | 4    | targets: 0 = class indices (int32), 1 = float32 rows           |
 * | 36     | 4    | classes, or the rows' width                                    |
 * | 40     | 4    | train count T                                                  |
 * | 44     | 4    | test count E                                                   |
 * | 48     |      | train inputs, train targets, test inputs, test targets; each   |
 * |        |      | section padded with zeros to a multiple of 4 bytes             |
 *
 * Each split's inputs section is dense or CSR rows, whichever is smaller (sparse.ts
 * `compactSamples`'s rule, so multi-hot data ships at ~2% of its dense float32 size):
 *
 * | offset | size    | field                                                      |
 * |--------|---------|------------------------------------------------------------|
 * | 0      | 4       | form: 0 = dense, 1 = CSR of ones (multi-hot), 2 = CSR with values |
 * | 4      | 4       | entries N (0 when dense)                                   |
 * | 8      |         | dense: count × size pixel bytes or float32s               |
 * |        | 4·(C+1) | CSR: rowStart (uint32; C = the split's count), then        |
 * |        | 4·N     | index (uint32, ascending in a row, below the sample size), |
 * |        | 4·N     | value (float32, form 2 only; the model's inputs, unscaled) |
 *
 * Version 2 is version 3 with every inputs section dense and without its 8-byte form and
 * entries words; it is still read (a checkpoint's run or an older coordinator may hold one).
 * Version 1 (28×28 pixel bytes and byte labels only) is refused by name.
 */
export interface Shard {
  readonly train: SampleSet;
  readonly test: SampleSet;
}

const MAGIC = 0x48534653; // "SFSH" read as little-endian uint32
const VERSION = 3;
/** Dense inputs sections only, without a form word. */
const VERSION_DENSE = 2;
const HEADER_BYTES = 48;
const MAX_RANK = 4;
const INPUT_BYTES = 0;
const INPUT_FLOATS = 1;
const TARGET_CLASSES = 0;
const TARGET_ROWS = 1;
const FORM_DENSE = 0;
const FORM_ONES = 1;
const FORM_VALUES = 2;
/** An inputs section's form and entries words (version 3). */
const FORM_BYTES = 8;

const pad4 = (n: number) => Math.ceil(n / 4) * 4;

interface Layout {
  readonly floats: boolean;
  readonly shape: readonly number[];
  readonly rows: boolean;
  /** Classes, or the rows' width. */
  readonly width: number;
}

function layoutOf(set: SampleSet): Layout {
  const rows = set.y.kind === "rows";
  return {
    // CSR rows hold float32 values: a dense section of such a set would be float32 too.
    floats: !(set.x instanceof Uint8Array),
    shape: set.sampleShape,
    rows,
    width: set.y.kind === "rows" ? set.y.width : set.y.classes,
  };
}

/** Inputs per sample. */
const sizeOf = (layout: Layout) => layout.shape.reduce((a, b) => a * b, 1);

const denseBytes = (layout: Layout, count: number) =>
  pad4(count * sizeOf(layout) * (layout.floats ? 4 : 1));

const targetBytes = (layout: Layout, count: number) => count * 4 * (layout.rows ? layout.width : 1);

function inputsBytes(layout: Layout, set: SampleSet): number {
  const { x } = set;
  if (!isSparseRows(x)) return FORM_BYTES + denseBytes(layout, set.count);
  return FORM_BYTES + sparseRowsBytes(set.count, x.index.length, x.value !== undefined);
}

export function encodeShard(shard: Shard): Uint8Array {
  const layout = layoutOf(shard.train);
  const test = layoutOf(shard.test);
  if (JSON.stringify(test) !== JSON.stringify(layout)) {
    throw new Error("encodeShard: train and test samples differ in shape or kind");
  }
  if (layout.shape.length < 1 || layout.shape.length > MAX_RANK) {
    throw new Error(`encodeShard: samples of rank ${layout.shape.length}, expected 1 to 4`);
  }
  const splits = [compactSamples(shard.train), compactSamples(shard.test)];
  const total = splits.reduce(
    (sum, set) => sum + inputsBytes(layout, set) + targetBytes(layout, set.count),
    HEADER_BYTES,
  );
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const dims = [...layout.shape, 0, 0, 0, 0].slice(0, MAX_RANK);
  const header = [
    MAGIC,
    VERSION,
    layout.floats ? INPUT_FLOATS : INPUT_BYTES,
    layout.shape.length,
    ...dims,
    layout.rows ? TARGET_ROWS : TARGET_CLASSES,
    layout.width,
    shard.train.count,
    shard.test.count,
  ];
  for (const [i, v] of header.entries()) view.setUint32(4 * i, v, true);
  let offset = HEADER_BYTES;
  for (const set of splits) {
    writeInputs(out, view, offset, set);
    offset += inputsBytes(layout, set);
    writeTargets(view, offset, set.y);
    offset += targetBytes(layout, set.count);
  }
  return out;
}

function writeInputs(out: Uint8Array, view: DataView, offset: number, set: SampleSet): void {
  const { x } = set;
  if (isSparseRows(x)) {
    view.setUint32(offset, x.value ? FORM_VALUES : FORM_ONES, true);
    view.setUint32(offset + 4, x.index.length, true);
    writeSparseRows(out, offset + FORM_BYTES, x);
    return;
  }
  view.setUint32(offset, FORM_DENSE, true);
  out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), offset + FORM_BYTES);
}

function writeTargets(view: DataView, offset: number, y: SampleTargets): void {
  if (y.kind === "rows") {
    for (let i = 0; i < y.data.length; i++) view.setFloat32(offset + 4 * i, y.data[i], true);
  } else {
    for (let i = 0; i < y.labels.length; i++) view.setInt32(offset + 4 * i, y.labels[i], true);
  }
}

export function decodeShard(bytes: Uint8Array, source = "shard"): Shard {
  if (bytes.length < HEADER_BYTES) {
    throw new Error(
      `${source}: truncated: expected a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (i: number) => view.getUint32(4 * i, true);
  if (word(0) !== MAGIC) throw new Error(`${source}: not a shardfit shard (bad magic)`);
  const version = word(1);
  if (version !== VERSION && version !== VERSION_DENSE) {
    throw new Error(
      `${source}: format version ${version}, expected ${VERSION} (or ${VERSION_DENSE})`,
    );
  }
  const [inputs, rank] = [word(2), word(3)];
  if (inputs !== INPUT_BYTES && inputs !== INPUT_FLOATS) {
    throw new Error(`${source}: input kind ${inputs}, expected 0 (bytes) or 1 (float32)`);
  }
  if (rank < 1 || rank > MAX_RANK)
    throw new Error(`${source}: sample rank ${rank}, expected 1 to 4`);
  const shape = [4, 5, 6, 7].slice(0, rank).map(word);
  if (shape.some((d) => d < 1)) throw new Error(`${source}: sample shape [${shape}] has a 0`);
  const [targets, width, t, e] = [word(8), word(9), word(10), word(11)];
  if (targets !== TARGET_CLASSES && targets !== TARGET_ROWS) {
    throw new Error(`${source}: target kind ${targets}, expected 0 (classes) or 1 (rows)`);
  }
  if (width < 1) throw new Error(`${source}: targets of width 0`);
  const layout: Layout = {
    floats: inputs === INPUT_FLOATS,
    shape,
    rows: targets === TARGET_ROWS,
    width,
  };
  if (version === VERSION_DENSE) {
    const expected = [t, e].reduce(
      (sum, n) => sum + denseBytes(layout, n) + targetBytes(layout, n),
      HEADER_BYTES,
    );
    if (bytes.length !== expected) {
      throw new Error(
        `${source}: expected ${expected} bytes for ${t}+${e} samples of [${shape.join(", ")}], got ${bytes.length}`,
      );
    }
  }
  // A copy: the typed views need 4-byte alignment, which a received buffer need not have.
  const copy = bytes.slice();
  const reader = { bytes: copy, view: new DataView(copy.buffer), offset: HEADER_BYTES, source };
  const train = readSplit(reader, "train", t, layout, version);
  const test = readSplit(reader, "test", e, layout, version);
  if (reader.offset !== copy.length) {
    throw new Error(
      `${source}: ${copy.length - reader.offset} bytes after the test samples, expected none (${reader.offset} bytes in all)`,
    );
  }
  return { train, test };
}

interface Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  offset: number;
  readonly source: string;
}

/** Checks that `length` more bytes follow the reader's offset, naming what needs them. */
function need(reader: Reader, length: number, what: string): void {
  if (reader.offset + length > reader.bytes.length) {
    throw new Error(
      `${reader.source}: truncated: the ${what} need ${length} bytes from byte ${reader.offset}, the shard has ${reader.bytes.length}`,
    );
  }
}

function readSplit(
  reader: Reader,
  split: "train" | "test",
  count: number,
  layout: Layout,
  version: number,
): SampleSet {
  const x = readInputs(reader, split, count, layout, version);
  const yBytes = targetBytes(layout, count);
  need(reader, yBytes, `${split} targets`);
  const yOffset = reader.offset;
  reader.offset += yBytes;
  const { bytes } = reader;
  if (layout.rows) {
    const data = new Float32Array(bytes.buffer, yOffset, count * layout.width);
    // Whether the rows are one-hot matters to the run's choice of loss, not to a worker.
    const y: SampleTargets = { kind: "rows", data, width: layout.width, oneHot: false };
    return { count, sampleShape: layout.shape, x, y };
  }
  const labels = new Int32Array(bytes.buffer, yOffset, count);
  for (let i = 0; i < count; i++) {
    if (labels[i] < 0 || labels[i] >= layout.width) {
      throw new Error(
        `${reader.source}: ${split} sample ${i} has class ${labels[i]}, expected 0..${layout.width - 1}`,
      );
    }
  }
  const y: SampleTargets = { kind: "classes", labels, classes: layout.width };
  return { count, sampleShape: layout.shape, x, y };
}

function readInputs(
  reader: Reader,
  split: "train" | "test",
  count: number,
  layout: Layout,
  version: number,
): Uint8Array | Float32Array | SparseRows {
  let form = FORM_DENSE;
  let entries = 0;
  if (version !== VERSION_DENSE) {
    need(reader, FORM_BYTES, `${split} inputs' form and entries words`);
    form = reader.view.getUint32(reader.offset, true);
    entries = reader.view.getUint32(reader.offset + 4, true);
    reader.offset += FORM_BYTES;
  }
  const { bytes, offset } = reader;
  if (form === FORM_ONES || form === FORM_VALUES) {
    const values = form === FORM_VALUES;
    const source = `${reader.source}: ${split} inputs`;
    const shape = { count, width: sizeOf(layout), entries, values };
    const rows = readSparseRows(bytes, offset, shape, source);
    reader.offset += sparseRowsBytes(count, entries, values);
    return rows;
  }
  if (form !== FORM_DENSE) {
    throw new Error(
      `${reader.source}: ${split} inputs of form ${form}, expected 0 (dense), 1 (CSR of ones) or 2 (CSR with values)`,
    );
  }
  const size = count * sizeOf(layout);
  need(reader, denseBytes(layout, count), `${split} inputs`);
  reader.offset += denseBytes(layout, count);
  return layout.floats
    ? new Float32Array(bytes.buffer, offset, size)
    : bytes.subarray(offset, offset + size);
}
