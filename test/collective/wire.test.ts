import { describe, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import {
  decodePredictions,
  encodePredictions,
  FRAME,
  FrameError,
  frameBytes,
  HEAD,
  MAX_HELLO_TEXT,
  MAX_WORKER_TEXT,
  newFrame,
  parseCoordinatorMessage,
  parseWorkerMessage,
  printable,
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
  ])("worker message %#: %s", (text, message) => {
    expect(() => parseWorkerMessage(text)).toThrow(FrameError);
    expect(() => parseWorkerMessage(text)).toThrow(message);
  });

  const hello = (fields: object) =>
    JSON.stringify({
      ...{ type: "hello", protocol: 1, version: "0.1.0", token: "t", threads: 1, runtime: "r" },
      ...fields,
    });
  test.each([
    [hello({ version: "9".repeat(33) }), "version: expected <=32"],
    [hello({ protocol: 1.5 }), "protocol: expected"],
    [hello({ runtime: "r".repeat(101) }), "runtime: expected <=100"],
    // JSON has no NaN: a worker's NaN arrives as null; 1e999 parses as Infinity.
    ['{"type":"epochEnd","attempt":1,"ok":true,"stats":[null,0,0]}', "stats[0]: expected"],
    ['{"type":"epochEnd","attempt":1,"ok":true,"stats":[1e999,0,0]}', "stats[0]: expected"],
    ['{"type":"epochEnd","attempt":1,"ok":true,"stats":[-1,0,0]}', "stats[0]: expected >=0"],
    ['{"type":"epochEnd","attempt":1,"ok":true,"stats":[0,0.5,1]}', "stats[1]: expected"],
    ['{"type":"epochEnd","attempt":-1,"ok":true,"stats":[0,0,0]}', "attempt: expected >=0"],
    [
      '{"type":"evaluated","results":[{"lossSum":1e999,"correct":0,"count":1}],"tensors":0}',
      "results[0].lossSum: expected",
    ],
    ['{"type":"ready","paramCount":1e999}', "paramCount: expected"],
  ])("every field is bounded %#: %s", (text, message) => {
    expect(() => parseWorkerMessage(text)).toThrow(FrameError);
    expect(() => parseWorkerMessage(text)).toThrow(message);
  });

  test("a worker checks the coordinator's messages too", () => {
    const epoch = {
      ...{ type: "epoch", attempt: 1, fromStep: 0, globalStep: 0 },
      plans: [{ indices: [3, 1], counts: [2], globalCounts: [2], seed: 7 }],
    };
    expect(parseCoordinatorMessage(JSON.stringify(epoch))).toEqual(epoch as never);
    const bad = { ...epoch, plans: [{ ...epoch.plans[0], counts: [-2] }] };
    expect(() => parseCoordinatorMessage(JSON.stringify(bad))).toThrow(
      "coordinator message: plans[0].counts[0]: expected >=0",
    );
    const refused = { type: "refused", reason: "x".repeat(1001) };
    expect(() => parseCoordinatorMessage(JSON.stringify(refused))).toThrow("reason");
  });

  test("before the handshake, a text frame may hold only a hello's few characters", () => {
    const text = hello({ runtime: "r".repeat(MAX_HELLO_TEXT) });
    expect(() => parseWorkerMessage(text, MAX_HELLO_TEXT)).toThrow(
      `text frame of ${text.length} characters; the limit is ${MAX_HELLO_TEXT}`,
    );
  });

  test("peer text is printable: control characters replaced, length capped", () => {
    expect(printable("Bun\u001b]0;owned\u0007\u001b[2J\r\nx\u009b1m\u202eevil")).toBe(
      "Bun?]0;owned??[2J??x?1m?evil",
    );
    expect(printable("x".repeat(500), 10)).toBe(`${"x".repeat(9)}…`);
    expect(printable("Deno 2.9.6 (café, 日本)")).toBe("Deno 2.9.6 (café, 日本)");
  });

  test("a worker text frame over the limit is refused before it is parsed", () => {
    const text = JSON.stringify({ type: "hello", pad: "x".repeat(MAX_WORKER_TEXT) });
    expect(() => parseWorkerMessage(text)).toThrow(
      `text frame of ${text.length} characters; the limit is ${MAX_WORKER_TEXT}`,
    );
  });

  test("predictions travel in an evaluated message and decode to the same values", () => {
    const predicted = Uint8Array.from([7, 2, 1, 0, 4]);
    // A view into a larger buffer, as a worker's slice of its results may be.
    const whole = Float32Array.from([42, 0.99, 0.5, 0.123456789, 1, 1e-7, 42]);
    const confidence = whole.subarray(1, 6);
    const text = JSON.stringify({
      type: "evaluated",
      results: [
        {
          lossSum: 1.5,
          correct: 4,
          count: 5,
          predictions: encodePredictions({ predicted, confidence }),
        },
      ],
      tensors: 0,
    });
    const message = parseWorkerMessage(text);
    if (message.type !== "evaluated") throw new Error(`parsed as ${message.type}`);
    const wire = message.results[0].predictions;
    if (!wire) throw new Error("no predictions");
    const back = decodePredictions(wire, 5);
    expect([...back.predicted]).toEqual([...predicted]);
    expect([...back.confidence]).toEqual([...confidence]);
    expect(back.confidence).toBeInstanceOf(Float32Array);
  });

  test("predictions for another sample count, or not base64url, are refused naming the field", () => {
    const wire = encodePredictions({
      predicted: new Uint8Array(4),
      confidence: new Float32Array(4),
    });
    expect(() => decodePredictions(wire, 5)).toThrow(
      "evaluated: predictions for 4 samples and 4 probabilities; expected 5 of each",
    );
    expect(() => decodePredictions({ ...wire, confidence: "a!" }, 4)).toThrow(FrameError);
    expect(() => decodePredictions({ ...wire, confidence: "a!" }, 4)).toThrow(
      "evaluated: predictions.confidence:",
    );
  });
});
