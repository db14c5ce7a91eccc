import type { ImageSet } from "./dataset.ts";

/**
 * The binary shard a worker receives (served by `GET /shards/:index`), little-endian:
 *
 * | offset | size | field                                  |
 * |--------|------|----------------------------------------|
 * | 0      | 4    | magic `SFSH`                           |
 * | 4      | 4    | format version (1)                     |
 * | 8      | 4    | rows                                   |
 * | 12     | 4    | cols                                   |
 * | 16     | 4    | train count T                          |
 * | 20     | 4    | test count E                           |
 * | 24     | T·rows·cols | train pixels (uint8, row-major) |
 * |        | T    | train labels (uint8)                   |
 * |        | E·rows·cols | test pixels                     |
 * |        | E    | test labels                            |
 */
export interface Shard {
  readonly train: ImageSet;
  readonly test: ImageSet;
}

const MAGIC = 0x48534653; // "SFSH" read as little-endian uint32
const VERSION = 1;
const HEADER_BYTES = 24;

export function encodeShard(shard: Shard): Uint8Array {
  const { rows, cols } = shard.train;
  const px = rows * cols;
  const t = shard.train.count;
  const e = shard.test.count;
  const out = new Uint8Array(HEADER_BYTES + (t + e) * (px + 1));
  const view = new DataView(out.buffer);
  for (const [i, v] of [MAGIC, VERSION, rows, cols, t, e].entries()) view.setUint32(4 * i, v, true);
  let offset = HEADER_BYTES;
  for (const part of [
    shard.train.images,
    shard.train.labels,
    shard.test.images,
    shard.test.labels,
  ]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function decodeShard(bytes: Uint8Array, source = "shard"): Shard {
  if (bytes.length < HEADER_BYTES) {
    throw new Error(
      `${source}: truncated: expected a ${HEADER_BYTES}-byte header, got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, rows, cols, t, e] = [0, 1, 2, 3, 4, 5].map((i) =>
    view.getUint32(4 * i, true),
  );
  if (magic !== MAGIC) throw new Error(`${source}: not a shardfit shard (bad magic)`);
  if (version !== VERSION)
    throw new Error(`${source}: format version ${version}, expected ${VERSION}`);
  const px = rows * cols;
  const expected = HEADER_BYTES + (t + e) * (px + 1);
  if (bytes.length !== expected) {
    throw new Error(
      `${source}: expected ${expected} bytes for ${t}+${e} samples of ${rows}×${cols}, got ${bytes.length}`,
    );
  }
  let offset = HEADER_BYTES;
  const take = (n: number) => {
    const part = bytes.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  const train = { count: t, rows, cols, images: take(t * px), labels: take(t) };
  const test = { count: e, rows, cols, images: take(e * px), labels: take(e) };
  return { train, test };
}
