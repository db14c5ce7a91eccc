import { describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import {
  FRAME,
  FrameError,
  frameBytes,
  HEAD,
  newFrame,
  parseWorkerMessage,
  readFrame,
  SHARDFIT_VERSION,
} from "../../src/collective/wire.ts";

describe("wire protocol", () => {
  test("the handshake's version is the package's", () => {
    expect(SHARDFIT_VERSION).toBe(pkg.version);
  });

  test("a frame reads back what was written", () => {
    const frame = newFrame(FRAME.gradient, 5);
    frame.head[HEAD.step] = 7;
    frame.vector.set([1, 2, 3, 4, 5]);
    expect(frame.buffer.byteLength).toBe(frameBytes(5));
    const read = readFrame(frame.buffer, 5, FRAME.gradient);
    expect(read.head[HEAD.step]).toBe(7);
    expect(Array.from(read.vector)).toEqual([1, 2, 3, 4, 5]);
  });

  test("a frame of the wrong size or kind is refused with what was expected", () => {
    const frame = newFrame(FRAME.weights, 5);
    expect(() => readFrame(frame.buffer, 6, FRAME.weights)).toThrow(
      "binary frame of 84 bytes; a frame of this run is 88 bytes (6 float32 + 64-byte header)",
    );
    expect(() => readFrame(frame.buffer, 5, FRAME.gradient)).toThrow(
      "binary frame of kind 2; expected 1",
    );
  });

  test.each([
    ["{", "text frame is not JSON"],
    ['{"type":"hello"}', "worker message: protocol: expected"],
    [
      '{"type":"hello","protocol":1,"version":"x","token":"t","threads":0,"runtime":"r"}',
      "threads",
    ],
    ['{"type":"dance"}', "worker message: type"],
    [JSON.stringify({ type: "hello", pad: "x".repeat(70_000) }), "the limit is 65536"],
  ])("worker message %#: %s", (text, message) => {
    expect(() => parseWorkerMessage(text)).toThrow(FrameError);
    expect(() => parseWorkerMessage(text)).toThrow(message);
  });
});
