import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  carriedValues,
  encodeGradient,
  gradientRows,
  maskedFrameBytes,
  readGradient,
} from "../../src/collective/gradient-frame.ts";
import { FRAME, FrameError, frameBytes, HEAD, HEADER_BYTES } from "../../src/collective/wire.ts";
import { dense, modelLayout } from "../../src/core/model/sequential.ts";

/** The bits of a float vector, so +0 and -0 (and NaN payloads) compare as different. */
const bitsOf = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

/** Rows of the given widths, laid end to end. */
const boundsOf = (widths: number[]) => {
  const bounds = [0];
  for (const w of widths) bounds.push(bounds[bounds.length - 1] + w);
  return Uint32Array.from(bounds);
};

/** Reads `buffer` back as the coordinator does, into a fresh scratch vector. */
const decode = (buffer: ArrayBuffer, bounds: Uint32Array) => {
  const paramCount = bounds[bounds.length - 1];
  const frame = readGradient(buffer, paramCount, bounds);
  return { head: frame.head, vector: frame.vector(() => new Float32Array(paramCount).fill(7)) };
};

/**
 * Rows of widths 1..40, each all +0, or random floats (any bits: ±0, NaN, subnormals), or
 * mostly +0 with a -0 or tiny value somewhere.
 */
const rowsArbitrary = fc.array(
  fc.integer({ min: 1, max: 40 }).chain((width) =>
    fc.oneof(
      fc.constant(new Float32Array(width)),
      fc.float32Array({ minLength: width, maxLength: width }),
      fc
        .tuple(fc.integer({ min: 0, max: width - 1 }), fc.constantFrom(-0, 1e-45, -3.5))
        .map(([at, value]) => {
          const row = new Float32Array(width);
          row[at] = value;
          return row;
        }),
    ),
  ),
  { minLength: 0, maxLength: 60 },
);

describe("row-masked gradient frames", () => {
  test("a Dense stack's rows: one per kernel input, one per bias", () => {
    const layout = modelLayout({
      inputShape: [3],
      layers: [dense(2, { activation: "relu" }), dense(4, { useBias: false }), dense(1)],
    });
    // 3 rows of 2, bias of 2, 2 rows of 4 (no bias), 4 rows of 1, bias of 1.
    expect(Array.from(gradientRows(layout))).toEqual([0, 2, 4, 6, 8, 12, 16, 17, 18, 19, 20, 21]);
    expect(layout.size).toBe(21);
  });

  test("any gradient reads back bit for bit, in the smaller form", () => {
    fc.assert(
      fc.property(rowsArbitrary, fc.integer({ min: 0, max: 2 ** 31 }), (rows, step) => {
        const bounds = boundsOf(rows.map((r) => r.length));
        const paramCount = bounds[bounds.length - 1];
        const vector = new Float32Array(paramCount);
        rows.forEach((r, i) => {
          vector.set(r, bounds[i]);
        });
        const frame = encodeGradient(vector, bounds);
        frame.head[HEAD.step] = step;
        // The reference: a row is left out when every value in it is +0.
        const kept = rows.filter((r) => !r.every((v) => Object.is(v, 0)));
        const keptFloats = kept.reduce((n, r) => n + r.length, 0);
        const masked = maskedFrameBytes(rows.length, keptFloats);
        const dense = frameBytes(paramCount);
        expect(frame.buffer.byteLength).toBe(Math.min(masked, dense));
        expect(frame.head[HEAD.kind]).toBe(masked < dense ? FRAME.maskedRows : FRAME.gradient);
        const read = decode(frame.buffer, bounds);
        expect(read.head[HEAD.step]).toBe(step);
        expect(bitsOf(read.vector)).toEqual(bitsOf(vector));
      }),
      { numRuns: 500 },
    );
  });

  test("all rows zero: only the header and the mask travel; all rows set: dense", () => {
    const bounds = boundsOf(Array(100).fill(8));
    const zeros = new Float32Array(800);
    const empty = encodeGradient(zeros, bounds);
    expect(empty.head[HEAD.kind]).toBe(FRAME.maskedRows);
    expect(empty.buffer.byteLength).toBe(HEADER_BYTES + 8 + 4 * 4);
    const scratch = new Float32Array(800).fill(Number.NaN);
    const read = readGradient(empty.buffer, 800, bounds).vector(() => scratch);
    expect(read).toBe(scratch);
    expect(bitsOf(read)).toEqual(bitsOf(zeros));

    const full = Float32Array.from({ length: 800 }, (_, i) => i + 1);
    const denseFrame = encodeGradient(full, bounds);
    expect(denseFrame.head[HEAD.kind]).toBe(FRAME.gradient);
    expect(denseFrame.buffer.byteLength).toBe(frameBytes(800));
    expect(Array.from(decode(denseFrame.buffer, bounds).vector)).toEqual(Array.from(full));
  });

  test("masked only while smaller: one row of 2 left out of 8 rows does not pay for the mask", () => {
    // Dense: 16 floats. Masked: 8 bytes of counts + 4 of mask (3 floats' worth) + 14 floats.
    const bounds = boundsOf(Array(8).fill(2));
    const oneZeroRow = Float32Array.from({ length: 16 }, (_, i) => (i < 2 ? 0 : 1));
    expect(encodeGradient(oneZeroRow, bounds).head[HEAD.kind]).toBe(FRAME.gradient);
    const twoZeroRows = Float32Array.from({ length: 16 }, (_, i) => (i < 4 ? 0 : 1));
    const frame = encodeGradient(twoZeroRows, bounds);
    expect(frame.head[HEAD.kind]).toBe(FRAME.maskedRows);
    expect(frame.buffer.byteLength).toBe(frameBytes(16) - 4);
  });
});

describe("malformed row-masked frames are refused naming what is wrong", () => {
  // 40 rows of 3: the mask takes 2 words; rows 1, 5 and 33 carry values.
  const bounds = boundsOf(Array(40).fill(3));
  const vector = new Float32Array(120);
  for (const row of [1, 5, 33]) vector.set([row, -row, 0.5], 3 * row);
  const good = encodeGradient(vector, bounds).buffer;
  const prefix = HEADER_BYTES + 8;
  const edited = (edit: (bytes: DataView) => void) => {
    const copy = good.slice(0);
    edit(new DataView(copy));
    return copy;
  };
  const refusal = (data: ArrayBuffer, modelKnown = true) => {
    try {
      readGradient(data, 120, modelKnown ? bounds : undefined);
    } catch (error) {
      expect(error).toBeInstanceOf(FrameError);
      return (error as Error).message;
    }
    throw new Error("the frame was accepted");
  };

  test("the good frame is masked and reads back", () => {
    expect(good.byteLength).toBe(prefix + 8 + 9 * 4);
    expect(Array.from(decode(good, bounds).vector)).toEqual(Array.from(vector));
  });

  test("carriedValues: a masked frame's carried rows in order, a dense frame's every float", () => {
    expect(Array.from(carriedValues(good))).toEqual([1, -1, 0.5, 5, -5, 0.5, 33, -33, 0.5]);
    const full = Float32Array.from({ length: 120 }, (_, i) => i - 60);
    expect(Array.from(carriedValues(encodeGradient(full, bounds).buffer))).toEqual(
      Array.from(full),
    );
  });

  test.each([
    [
      "before the run's model is known",
      () => refusal(good, false),
      "a row-masked gradient frame before the run's model is known",
    ],
    [
      "cut inside its row counts",
      () => refusal(good.slice(0, prefix - 2)),
      "row-masked gradient frame of 70 bytes is truncated: its header and row counts take 72",
    ],
    [
      "cut inside its mask",
      () => refusal(good.slice(0, prefix + 4)),
      "row-masked gradient frame of 76 bytes is truncated: its mask of 40 rows ends at byte 80",
    ],
    [
      "cut inside its rows",
      () => refusal(good.slice(0, good.byteLength - 4)),
      "row-masked gradient frame of 112 bytes; its 3 rows (9 float32) make 116",
    ],
    [
      "bytes past its rows",
      () => refusal(new Uint8Array([...new Uint8Array(good), 0, 0, 0, 0]).buffer),
      "row-masked gradient frame of 120 bytes; its 3 rows (9 float32) make 116",
    ],
    [
      "a mask over another model's rows",
      () => refusal(edited((b) => b.setUint32(HEADER_BYTES, 41, true))),
      "row-masked gradient frame: its mask covers 41 rows; this run's parameters have 40 rows",
    ],
    [
      "a carried count the mask does not match",
      () => refusal(edited((b) => b.setUint32(HEADER_BYTES + 4, 4, true))),
      "row-masked gradient frame: its mask marks 3 rows; the frame says 4",
    ],
    [
      "a mask bit past the last row",
      () =>
        refusal(
          edited((b) => b.setUint32(prefix + 4, b.getUint32(prefix + 4, true) | (1 << 8), true)),
        ),
      "row-masked gradient frame: its mask marks rows beyond the run's 40",
    ],
    [
      "a weights frame where a gradient belongs",
      () => refusal(edited((b) => b.setFloat64(0, FRAME.weights, true))),
      "binary frame of 116 bytes; a frame of this run is 544 bytes",
    ],
  ])("%s", (_name, refuse, message) => {
    expect(refuse()).toContain(message);
  });
});
