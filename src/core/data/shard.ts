import type { SampleSet, SampleTargets } from "./dataset.ts";

/**
 * The binary shard a worker receives (served by `GET /shards/:index`): a worker's training
 * samples and its part of the test set, little-endian.
 *
 * | offset | size | field                                                          |
 * |--------|------|----------------------------------------------------------------|
 * | 0      | 4    | magic `SFSH`                                                   |
 * | 4      | 4    | format version (2)                                             |
 * | 8      | 4    | inputs: 0 = pixel bytes (scaled by 1/255 on use), 1 = float32  |
 * | 12     | 4    | sample rank R, 1 to 4                                          |
 * | 16     | 16   | sample shape (R dimensions, then zeros)                        |
 * | 32     | 4    | targets: 0 = class indices (int32), 1 = float32 rows           |
 * | 36     | 4    | classes, or the rows' width                                    |
 * | 40     | 4    | train count T                                                  |
 * | 44     | 4    | test count E                                                   |
 * | 48     |      | train inputs, train targets, test inputs, test targets; each   |
 * |        |      | section padded with zeros to a multiple of 4 bytes             |
 *
 * Version 1 (28×28 pixel bytes and byte labels only) is refused by name.
 */
export interface Shard {
  readonly train: SampleSet;
  readonly test: SampleSet;
}

const MAGIC = 0x48534653; // "SFSH" read as little-endian uint32
const VERSION = 2;
const HEADER_BYTES = 48;
const MAX_RANK = 4;
const INPUT_BYTES = 0;
const INPUT_FLOATS = 1;
const TARGET_CLASSES = 0;
const TARGET_ROWS = 1;

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
    floats: set.x instanceof Float32Array,
    shape: set.sampleShape,
    rows,
    width: set.y.kind === "rows" ? set.y.width : set.y.classes,
  };
}

/** Bytes of one split's sections: its inputs, then its targets, each padded. */
function sectionBytes(layout: Layout, count: number): { x: number; y: number } {
  const size = layout.shape.reduce((a, b) => a * b, 1);
  const x = pad4(count * size * (layout.floats ? 4 : 1));
  const y = count * 4 * (layout.rows ? layout.width : 1);
  return { x, y };
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
  const [t, e] = [shard.train.count, shard.test.count];
  const [trainBytes, testBytes] = [sectionBytes(layout, t), sectionBytes(layout, e)];
  const total = HEADER_BYTES + trainBytes.x + trainBytes.y + testBytes.x + testBytes.y;
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
    t,
    e,
  ];
  for (const [i, v] of header.entries()) view.setUint32(4 * i, v, true);
  let offset = HEADER_BYTES;
  for (const [set, bytes] of [
    [shard.train, trainBytes],
    [shard.test, testBytes],
  ] as const) {
    out.set(new Uint8Array(set.x.buffer, set.x.byteOffset, set.x.byteLength), offset);
    offset += bytes.x;
    writeTargets(view, offset, set.y);
    offset += bytes.y;
  }
  return out;
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
  if (word(1) !== VERSION) {
    throw new Error(`${source}: format version ${word(1)}, expected ${VERSION}`);
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
  const [trainBytes, testBytes] = [sectionBytes(layout, t), sectionBytes(layout, e)];
  const expected = HEADER_BYTES + trainBytes.x + trainBytes.y + testBytes.x + testBytes.y;
  if (bytes.length !== expected) {
    throw new Error(
      `${source}: expected ${expected} bytes for ${t}+${e} samples of [${shape.join(", ")}], got ${bytes.length}`,
    );
  }
  // A copy: the float views need 4-byte alignment, which a received buffer need not have.
  const copy = bytes.slice();
  let offset = HEADER_BYTES;
  const split = (count: number, sizes: { x: number; y: number }): SampleSet => {
    const set = readSplit(copy, offset, count, layout);
    offset += sizes.x + sizes.y;
    return set;
  };
  const train = split(t, trainBytes);
  const test = split(e, testBytes);
  return { train, test };
}

function readSplit(bytes: Uint8Array, offset: number, count: number, layout: Layout): SampleSet {
  const size = layout.shape.reduce((a, b) => a * b, 1);
  const xBytes = pad4(count * size * (layout.floats ? 4 : 1));
  const x = layout.floats
    ? new Float32Array(bytes.buffer, offset, count * size)
    : bytes.subarray(offset, offset + count * size);
  const yOffset = offset + xBytes;
  if (layout.rows) {
    const data = new Float32Array(bytes.buffer, yOffset, count * layout.width);
    // Whether the rows are one-hot matters to the run's choice of loss, not to a worker.
    const y: SampleTargets = { kind: "rows", data, width: layout.width, oneHot: false };
    return { count, sampleShape: layout.shape, x, y };
  }
  const labels = new Int32Array(bytes.buffer, yOffset, count);
  for (let i = 0; i < count; i++) {
    if (labels[i] < 0 || labels[i] >= layout.width) {
      throw new Error(`shard: sample ${i} has class ${labels[i]}, expected 0..${layout.width - 1}`);
    }
  }
  const y: SampleTargets = { kind: "classes", labels, classes: layout.width };
  return { count, sampleShape: layout.shape, x, y };
}
