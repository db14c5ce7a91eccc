import * as v from "valibot";
import { decodeBase64Url, encodeBase64Url } from "../core/format/base64url.ts";
import { LOSS_NAMES, type LossName } from "../core/loss/loss.ts";
import type { Predictions } from "../core/metric/confusion.ts";
import type { ModelSpec } from "../core/model/sequential.ts";
import { validate } from "../core/validate.ts";

/**
 * What a coordinator and a worker process say to each other over one WebSocket. Control
 * messages are JSON text frames; a step's gradient (worker → coordinator) and the weights after
 * it (coordinator → worker) are binary frames: a {@link HEADER_BYTES}-byte header of float64
 * fields, then the float32 vector in the flat parameter layout. A gradient frame may instead
 * carry only the rows that are not all zero (gradient-frame.ts encodes and reads both forms).
 */

/**
 * Bumped whenever a message or frame changes meaning; both sides must agree.
 * 2: gradient frames may be row-masked (FRAME.maskedRows).
 */
export const PROTOCOL_VERSION = 2;
/** The shardfit release (package.json "version"; a test keeps them equal). */
export const SHARDFIT_VERSION = "0.2.0";

/**
 * Largest text frame a coordinator accepts from a worker: hello and step results are small;
 * the final evaluation's per-sample predictions take ~7 characters per test sample, so this
 * bounds a participant's test shard at ~150,000 samples. Kept small because the transport
 * buffers a frame up to its limit before anyone can refuse it.
 */
export const MAX_WORKER_TEXT = 1024 * 1024;
/** Largest text frame a worker accepts from its coordinator (epoch plans: 4 B/sample as text). */
export const MAX_COORDINATOR_TEXT = 64 * 1024 * 1024;

/** A binary frame's kind, its header's first slot. */
export const FRAME = { gradient: 1, weights: 2, maskedRows: 3 } as const;

/** Float64 slots of a binary frame's header. */
export const HEAD = {
  kind: 0,
  step: 1,
  /** The epoch attempt the frame belongs to (frames of an aborted attempt are dropped). */
  attempt: 2,
  /** The sender's training statistics of its completed steps this attempt (gradient frames). */
  loss: 3,
  correct: 4,
  seen: 5,
  /** Gradient frames: ms this step computed, and ms the previous step waited for weights. */
  computeMs: 6,
  exchangeMs: 7,
  length: 8,
} as const;
export const HEADER_BYTES = HEAD.length * Float64Array.BYTES_PER_ELEMENT;

/** Bytes of a gradient or weights frame for `paramCount` parameters. */
export function frameBytes(paramCount: number): number {
  return HEADER_BYTES + paramCount * Float32Array.BYTES_PER_ELEMENT;
}

export interface Frame {
  readonly head: Float64Array;
  readonly vector: Float32Array;
}

/** A zeroed frame of `kind` for `paramCount` parameters; fill `head` and `vector`, send `buffer`. */
export function newFrame(kind: number, paramCount: number): Frame & { buffer: ArrayBuffer } {
  const buffer = new ArrayBuffer(frameBytes(paramCount));
  const head = new Float64Array(buffer, 0, HEAD.length);
  head[HEAD.kind] = kind;
  return { buffer, head, vector: new Float32Array(buffer, HEADER_BYTES, paramCount) };
}

/** Reads a binary frame, or throws naming what is wrong with it. */
export function readFrame(data: ArrayBuffer, paramCount: number, expectKind: number): Frame {
  const expected = frameBytes(paramCount);
  if (data.byteLength !== expected) {
    throw new FrameError(
      `binary frame of ${data.byteLength} bytes; a frame of this run is ${expected} bytes (${paramCount} float32 + ${HEADER_BYTES}-byte header)`,
    );
  }
  const head = new Float64Array(data, 0, HEAD.length);
  if (head[HEAD.kind] !== expectKind) {
    throw new FrameError(`binary frame of kind ${head[HEAD.kind]}; expected ${expectKind}`);
  }
  return { head, vector: new Float32Array(data, HEADER_BYTES, paramCount) };
}

/** A message or frame that breaks the protocol; the connection is closed with its text. */
export class FrameError extends Error {
  override name = "FrameError";
}

/** Largest text frame before a connection's hello is accepted: a hello is ~300 characters. */
export const MAX_HELLO_TEXT = 4096;

const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
/** A finite float; JSON has no NaN or Infinity, so a non-finite value arrives as null. */
const finite = (min: number, max: number) =>
  v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
/** Sums over a run's samples: losses, correct predictions, counts (a float64 holds them). */
const MAX_SUM = 1e15;

const hello = v.object({
  type: v.literal("hello"),
  protocol: count(1_000_000),
  version: v.pipe(v.string(), v.maxLength(32)),
  token: v.pipe(v.string(), v.maxLength(256)),
  threads: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)),
  runtime: v.pipe(v.string(), v.maxLength(100)),
  /** The participant index this worker wants (Kubernetes: JOB_COMPLETION_INDEX). */
  rank: v.optional(count(4096)),
});
/** A sender's loss sum, correct predictions and samples seen over its completed steps. */
const stats = v.tuple([finite(0, MAX_SUM), count(MAX_SUM), count(MAX_SUM)]);
const wirePredictions = v.object({
  predicted: v.pipe(v.string(), v.maxLength(MAX_WORKER_TEXT)),
  confidence: v.pipe(v.string(), v.maxLength(MAX_WORKER_TEXT)),
});
const evalResult = v.object({
  lossSum: finite(0, MAX_SUM),
  correct: count(MAX_SUM),
  count: count(MAX_SUM),
  predictions: v.optional(wirePredictions),
  metricSums: v.optional(v.pipe(v.array(v.pipe(v.number(), v.finite())), v.maxLength(64))),
});
const workerMessage = v.variant("type", [
  hello,
  v.object({ type: v.literal("ready"), paramCount: count(2 ** 31) }),
  v.object({
    type: v.literal("epochEnd"),
    attempt: count(2 ** 31),
    ok: v.boolean(),
    reason: v.optional(v.pipe(v.string(), v.maxLength(1000))),
    stats,
  }),
  v.object({
    type: v.literal("evaluated"),
    results: v.pipe(v.array(evalResult), v.maxLength(64)),
    tensors: count(2 ** 31),
  }),
]);
export type Hello = v.InferOutput<typeof hello>;
export type WorkerMessage = v.InferOutput<typeof workerMessage>;

/**
 * Parses a worker's text frame, or throws a FrameError naming the field that is wrong. Before
 * the handshake a frame may hold only a hello: `limit` is then {@link MAX_HELLO_TEXT}.
 */
export function parseWorkerMessage(text: string, limit = MAX_WORKER_TEXT): WorkerMessage {
  if (text.length > limit) {
    throw new FrameError(`text frame of ${text.length} characters; the limit is ${limit}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FrameError("text frame is not JSON");
  }
  return validate(workerMessage, json, (t) => {
    throw new FrameError(`worker message: ${t}`);
  });
}

/** A plan as JSON: plain arrays. */
export interface WirePlan {
  readonly indices: number[];
  readonly counts: number[];
  readonly globalCounts: number[];
  readonly sampleOffset?: number;
  readonly seed?: number;
}

export type CoordinatorMessage =
  | {
      type: "welcome";
      participant: number;
      firstSlot: number;
      spec: ModelSpec;
      /** The loss the model trains with. */
      loss: LossName;
      paramCount: number;
      /** Each of this participant's slots: its shard's URL (relative to the join URL) and token. */
      shards: { url: string; token: string }[];
    }
  | { type: "refused"; reason: string }
  | { type: "epoch"; attempt: number; plans: WirePlan[]; fromStep: number; globalStep: number }
  | { type: "abort" }
  /** With `predictions`, the results carry each test sample's predicted class and probability. */
  | {
      type: "evaluate";
      predictions?: boolean;
      /** The shard's split (default test) and the metrics to measure (worker/evaluate.ts). */
      split?: "train" | "test";
      metrics?: string[];
    }
  | { type: "bye" };

const wirePlan = v.object({
  indices: v.pipe(v.array(count(2 ** 31)), v.maxLength(1e8)),
  counts: v.pipe(v.array(count(2 ** 31)), v.maxLength(1e8)),
  globalCounts: v.pipe(v.array(count(2 ** 31)), v.maxLength(1e8)),
  sampleOffset: v.optional(count(2 ** 53)),
  seed: v.optional(v.pipe(v.number(), v.finite())),
});
const coordinatorMessage = v.variant("type", [
  v.object({
    type: v.literal("welcome"),
    participant: count(4096),
    firstSlot: count(1_000_000),
    /** The model: a spec the worker cannot build fails its join. */
    spec: v.unknown(),
    loss: v.picklist(LOSS_NAMES),
    paramCount: count(2 ** 31),
    shards: v.pipe(
      v.array(
        v.object({
          url: v.pipe(v.string(), v.maxLength(2000)),
          token: v.pipe(v.string(), v.maxLength(256)),
        }),
      ),
      v.maxLength(64),
    ),
  }),
  v.object({ type: v.literal("refused"), reason: v.pipe(v.string(), v.maxLength(1000)) }),
  v.object({
    type: v.literal("epoch"),
    attempt: count(2 ** 31),
    plans: v.pipe(v.array(wirePlan), v.maxLength(64)),
    fromStep: count(2 ** 31),
    globalStep: count(2 ** 53),
  }),
  v.object({ type: v.literal("abort") }),
  v.object({
    type: v.literal("evaluate"),
    predictions: v.optional(v.boolean()),
    split: v.optional(v.picklist(["train", "test"])),
    metrics: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(100))), v.maxLength(64))),
  }),
  v.object({ type: v.literal("bye") }),
]);

/** Parses a coordinator's text frame, or throws a FrameError naming the field that is wrong. */
export function parseCoordinatorMessage(text: string): CoordinatorMessage {
  if (text.length > MAX_COORDINATOR_TEXT) {
    throw new FrameError(
      `text frame of ${text.length} characters; the limit is ${MAX_COORDINATOR_TEXT}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FrameError("text frame is not JSON");
  }
  const message = validate(coordinatorMessage, json, (t) => {
    throw new FrameError(`coordinator message: ${t}`);
  });
  return message as CoordinatorMessage;
}

/** WebSocket close codes this protocol uses. */
export const CLOSE = {
  done: 1000,
  tooBig: 1009,
  refused: 4001,
  protocol: 4002,
} as const;

export type WirePredictions = v.InferOutput<typeof wirePredictions>;

/** Predictions for a JSON text frame: the class bytes and the float32 bytes, base64url. */
export function encodePredictions(p: Predictions): WirePredictions {
  const confidence = new Uint8Array(
    p.confidence.buffer,
    p.confidence.byteOffset,
    p.confidence.byteLength,
  );
  return { predicted: encodeBase64Url(p.predicted), confidence: encodeBase64Url(confidence) };
}

/** Predictions from a worker's results; a FrameError unless they hold exactly `count` samples. */
export function decodePredictions(wire: WirePredictions, count: number): Predictions {
  const decode = (field: keyof WirePredictions) => {
    try {
      return decodeBase64Url(wire[field]);
    } catch (error) {
      throw new FrameError(`evaluated: predictions.${field}: ${(error as Error).message}`);
    }
  };
  const predicted = decode("predicted");
  const bytes = decode("confidence");
  if (predicted.length !== count || bytes.length !== 4 * count) {
    throw new FrameError(
      `evaluated: predictions for ${predicted.length} samples and ${bytes.length / 4} probabilities; expected ${count} of each`,
    );
  }
  // A copy: the decoded bytes need not be 4-byte aligned.
  const confidence = new Float32Array(bytes.slice().buffer);
  return { predicted, confidence };
}

/** C0 and C1 control characters, DEL, and the bidirectional overrides that reorder a line. */
const CONTROL = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text a peer sent, made safe for a terminal line or an event: control characters (escape
 * sequences, newlines) become "?", and it is cut to `max` characters.
 */
export function printable(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(CONTROL, "?");
}
