import type { ModelLayout } from "../core/model/sequential.ts";
import { FRAME, FrameError, frameBytes, HEAD, HEADER_BYTES, newFrame, readFrame } from "./wire.ts";

/**
 * A worker's gradient frame, in whichever of two forms is smaller this step:
 *
 *   dense        (kind FRAME.gradient)    header, then every parameter as float32
 *   row-masked   (kind FRAME.maskedRows)  header, then uint32 rows, uint32 carried, a bitmap of
 *                                         ceil(rows / 32) uint32 words (bit r of word r >> 5:
 *                                         row r is carried), then the carried rows' float32s
 *
 * A row is a run of parameters that is often all zero at once: a kernel row of one input
 * feature (a first Dense layer's kernel row is zero for every input no sample of the batch set;
 * ~35% of MNIST's 784 pixels at batch 64). A row is left out only when all its bits are zero,
 * so the receiver rebuilds the very same floats (+0) and the sum and every optimizer's update
 * stay bit-identical to dense frames.
 */

/**
 * Where each row of the flat parameter vector starts, and the parameter count last. A kernel
 * of shape [..., n] is rows of n (a Dense kernel [in, units]: one row per input feature); a
 * 1-D weight (a bias) is one row.
 */
export function gradientRows(layout: ModelLayout): Uint32Array {
  const bounds = [0];
  for (const w of layout.weights) {
    const width = w.shape.length >= 2 ? w.shape[w.shape.length - 1] : w.size;
    for (let end = w.offset + width; end <= w.offset + w.size; end += width) bounds.push(end);
  }
  return Uint32Array.from(bounds);
}

/** Bytes before the bitmap of a row-masked frame: the header, then rows and carried (uint32). */
const MASKED_PREFIX = HEADER_BYTES + 2 * Uint32Array.BYTES_PER_ELEMENT;
const maskWords = (rows: number) => Math.ceil(rows / 32);

/** Bytes of a row-masked frame over `rows` rows that carries `floats` values. */
export function maskedFrameBytes(rows: number, floats: number): number {
  return MASKED_PREFIX + 4 * maskWords(rows) + 4 * floats;
}

/**
 * `vector`'s gradient frame (kind set; the caller fills the rest of `head`): row-masked when
 * that is smaller than dense, else dense.
 */
export function encodeGradient(
  vector: Float32Array,
  bounds: Uint32Array,
): { buffer: ArrayBuffer; head: Float64Array } {
  const rows = bounds.length - 1;
  if (bounds[rows] !== vector.length) {
    throw new Error(`gradient of ${vector.length} floats; its rows cover ${bounds[rows]}`);
  }
  const bits = new Uint32Array(vector.buffer, vector.byteOffset, vector.length);
  const mask = new Uint32Array(maskWords(rows));
  let carried = 0;
  let floats = 0;
  for (let r = 0; r < rows; r++) {
    const end = bounds[r + 1];
    for (let i = bounds[r]; i < end; i++) {
      if (bits[i] !== 0) {
        mask[r >>> 5] |= 1 << (r & 31);
        carried++;
        floats += end - bounds[r];
        break;
      }
    }
  }
  const bytes = maskedFrameBytes(rows, floats);
  if (bytes >= frameBytes(vector.length)) {
    const frame = newFrame(FRAME.gradient, vector.length);
    frame.vector.set(vector);
    return frame;
  }
  const buffer = new ArrayBuffer(bytes);
  const head = new Float64Array(buffer, 0, HEAD.length);
  head[HEAD.kind] = FRAME.maskedRows;
  new Uint32Array(buffer, HEADER_BYTES, 2).set([rows, carried]);
  new Uint32Array(buffer, MASKED_PREFIX, mask.length).set(mask);
  const values = new Float32Array(buffer, MASKED_PREFIX + 4 * mask.length, floats);
  // Consecutive carried rows are copied as one run.
  let at = 0;
  let r = 0;
  while (r < rows) {
    if (!isCarried(mask, r)) {
      r++;
      continue;
    }
    const start = r;
    while (r < rows && isCarried(mask, r)) r++;
    const run = vector.subarray(bounds[start], bounds[r]);
    values.set(run, at);
    at += run.length;
  }
  return { buffer, head };
}

/**
 * The float32 values a gradient frame carries, unchecked (its byte length should be checked
 * first): a dense frame's every parameter, a row-masked frame's carried rows.
 */
export function carriedValues(data: ArrayBuffer): Float32Array {
  const kind = new Float64Array(data, 0, 1)[0];
  if (kind !== FRAME.maskedRows) return new Float32Array(data, HEADER_BYTES);
  const rows = new Uint32Array(data, HEADER_BYTES, 1)[0];
  return new Float32Array(data, MASKED_PREFIX + 4 * maskWords(rows));
}

const isCarried = (mask: Uint32Array, r: number) => (mask[r >>> 5] & (1 << (r & 31))) !== 0;

/** A gradient frame read and checked; `vector` yields the full gradient. */
export interface GradientFrame {
  readonly head: Float64Array;
  /**
   * The gradient of every parameter: a dense frame's own floats, or a row-masked frame's rows
   * written into `scratch` (parameter count long) with zeros where rows were left out.
   */
  vector(scratch: () => Float32Array): Float32Array;
}

/**
 * Reads a gradient frame of either form, or throws a FrameError naming what is wrong with it.
 * `bounds` (from {@link gradientRows}, covering `paramCount`) is the run's rows; without it a
 * row-masked frame is refused, as the receiver cannot place its rows.
 */
export function readGradient(
  data: ArrayBuffer,
  paramCount: number,
  bounds: Uint32Array | undefined,
): GradientFrame {
  const kind = data.byteLength >= HEADER_BYTES ? new Float64Array(data, 0, 1)[0] : undefined;
  if (kind !== FRAME.maskedRows) {
    const { head, vector } = readFrame(data, paramCount, FRAME.gradient);
    return { head, vector: () => vector };
  }
  const what = "row-masked gradient frame";
  if (!bounds) throw new FrameError(`a ${what} before the run's model is known`);
  const rows = bounds.length - 1;
  if (data.byteLength < MASKED_PREFIX) {
    throw new FrameError(
      `${what} of ${data.byteLength} bytes is truncated: its header and row counts take ${MASKED_PREFIX}`,
    );
  }
  const [maskRows, carried] = new Uint32Array(data, HEADER_BYTES, 2);
  if (maskRows !== rows) {
    throw new FrameError(
      `${what}: its mask covers ${maskRows} rows; this run's parameters have ${rows} rows`,
    );
  }
  const words = maskWords(rows);
  if (data.byteLength < MASKED_PREFIX + 4 * words) {
    throw new FrameError(
      `${what} of ${data.byteLength} bytes is truncated: its mask of ${rows} rows ends at byte ${MASKED_PREFIX + 4 * words}`,
    );
  }
  const mask = new Uint32Array(data, MASKED_PREFIX, words);
  if (rows % 32 !== 0 && mask[words - 1] >>> (rows % 32) !== 0) {
    throw new FrameError(`${what}: its mask marks rows beyond the run's ${rows}`);
  }
  let marked = 0;
  let floats = 0;
  for (let r = 0; r < rows; r++) {
    if (isCarried(mask, r)) {
      marked++;
      floats += bounds[r + 1] - bounds[r];
    }
  }
  if (marked !== carried) {
    throw new FrameError(`${what}: its mask marks ${marked} rows; the frame says ${carried}`);
  }
  const expected = maskedFrameBytes(rows, floats);
  if (data.byteLength !== expected) {
    throw new FrameError(
      `${what} of ${data.byteLength} bytes; its ${carried} rows (${floats} float32) make ${expected}`,
    );
  }
  const values = new Float32Array(data, MASKED_PREFIX + 4 * words, floats);
  return {
    head: new Float64Array(data, 0, HEAD.length),
    vector: (scratch) => {
      const out = scratch();
      // Runs of rows with the same bit: one copy or one fill each.
      let at = 0;
      let r = 0;
      while (r < rows) {
        const start = r;
        const carried = isCarried(mask, r);
        while (r < rows && isCarried(mask, r) === carried) r++;
        const [lo, hi] = [bounds[start], bounds[r]];
        if (carried) {
          out.set(values.subarray(at, at + hi - lo), lo);
          at += hi - lo;
        } else {
          out.fill(0, lo, hi);
        }
      }
      return out;
    },
  };
}
