import * as v from "valibot";
import { describeSpec } from "../model/describe.ts";
import { mlpSpec } from "../model/presets.ts";
import { type ModelSpec, modelLayout, sameSpec } from "../model/sequential.ts";
import { type OptimizerSpec, optimizerFor } from "../optim/optimizer.ts";
import { OptimizerSpecSchema } from "../optim/spec.ts";
import type { EpochMetrics } from "../run/epoch-metrics.ts";
import { expecting, objectMessage, validate } from "../validate.ts";

/**
 * A training checkpoint is two files: `checkpoint.json` (what was trained, how far, with which
 * settings, the history) and `state.bin` (the weights, then each optimizer state vector in the
 * order `optimizerState` names them; float32, flat layout). Shuffles are seeded by
 * (seed, epoch, worker), so the seed and the next epoch are the whole generator state.
 * Runtime-free: the file I/O lives in src/adapter/fs/checkpoint-files.ts.
 */
export interface Checkpoint {
  format: "shardfit-checkpoint";
  version: 2;
  /** `{inputShape, layers}`; shardfit 0.1 wrote an MLP's as `{inputSize, hidden, classes}`. */
  spec: ModelSpec;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  stepsDone: number;
  rng: { seed: number; nextEpoch: number };
  batchSize: number;
  optimizer: OptimizerSpec;
  /** Names of the optimizer state vectors stored after the weights in state.bin. */
  optimizerState: string[];
  workers: number;
  trainSamples: number;
  history: EpochMetrics[];
  /**
   * The epoch-end callbacks' state (early stopping's wait and best, …), by callback: plain
   * numbers, null for none yet. Absent without callbacks.
   */
  callbacks?: Record<string, Record<string, number | null>>;
  /** Names of the weight copies the callbacks keep, stored after the optimizer state. */
  weightCopies?: string[];
  /** FNV-1a of state.bin, to catch a truncated or mixed-up pair of files. */
  stateChecksum: string;
}

export interface CheckpointState {
  checkpoint: Checkpoint;
  params: Float32Array;
  /** The optimizer state vectors, in `checkpoint.optimizerState` order. */
  optimizerState: Float32Array[];
  /** The callbacks' weight copies, in `checkpoint.weightCopies` order. */
  weightCopies?: Float32Array[];
}

export const CHECKPOINT_FILE = "checkpoint.json";
export const STATE_FILE = "state.bin";

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** Settings a resumed run must share with its checkpoint to continue the same run. */
export interface ResumeExpectations {
  spec: ModelSpec;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  trainSamples: number;
}

/** The two files' contents; `stateChecksum` is filled in from the state bytes. */
export function encodeCheckpoint(state: CheckpointState): { json: string; state: Uint8Array } {
  const vectors = [state.params, ...state.optimizerState, ...(state.weightCopies ?? [])];
  const n = state.params.length;
  const bytes = new Uint8Array(4 * n * vectors.length);
  vectors.forEach((vector, k) => {
    new Float32Array(bytes.buffer, 4 * n * k, n).set(vector);
  });
  const checkpoint = { ...state.checkpoint, stateChecksum: fnv1a(bytes) };
  return { json: JSON.stringify(checkpoint, null, 1), state: bytes };
}

/**
 * Parses and checks a checkpoint against the run that wants to resume from it. `files` names
 * the two files in error messages.
 */
export function decodeCheckpoint(
  jsonText: string,
  stateBytes: Uint8Array,
  expect: ResumeExpectations,
  files = { json: CHECKPOINT_FILE, state: STATE_FILE },
): CheckpointState {
  const checkpoint = parseCheckpointJson(jsonText, files.json);
  checkSameRun(checkpoint, expect, files.json);
  const n = modelLayout(checkpoint.spec).size;
  const copies = checkpoint.weightCopies ?? [];
  const vectors = 1 + checkpoint.optimizerState.length + copies.length;
  if (stateBytes.length !== 4 * n * vectors) {
    const names = [...checkpoint.optimizerState, ...copies].join(", ");
    throw new CheckpointError(
      `${files.state}: expected ${4 * n * vectors} bytes (weights and ${names} of ${n} parameters), got ${stateBytes.length}`,
    );
  }
  if (fnv1a(stateBytes) !== checkpoint.stateChecksum) {
    throw new CheckpointError(
      `${files.state}: checksum does not match ${CHECKPOINT_FILE} (corrupt or from another checkpoint)`,
    );
  }
  const copy = stateBytes.slice();
  const [params, ...rest] = Array.from(
    { length: vectors },
    (_, k) => new Float32Array(copy.buffer, 4 * n * k, n),
  );
  const optimizerState = rest.slice(0, checkpoint.optimizerState.length);
  const weightCopies = rest.slice(checkpoint.optimizerState.length);
  return { checkpoint, params, optimizerState, ...(copies.length ? { weightCopies } : {}) };
}

function parseCheckpointJson(text: string, file: string): Checkpoint {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  validate(CheckpointHeader, json, (msg) => {
    throw new CheckpointError(`${file}: not a shardfit checkpoint of version 2 (${msg})`);
  });
  const checkpoint = validate(CheckpointSchema, json, (msg) => {
    throw new CheckpointError(`${file}: ${msg}`);
  }) as Checkpoint;
  checkSpec(checkpoint.spec, file);
  return checkpoint;
}

/** The spec passed the schema's outline only; its layers are checked here. */
function checkSpec(spec: ModelSpec, file: string): void {
  try {
    modelLayout(spec);
  } catch (error) {
    throw new CheckpointError(`${file}: spec: ${(error as Error).message}`);
  }
}

function checkSameRun(checkpoint: Checkpoint, expect: ResumeExpectations, file: string): void {
  if (!sameSpec(checkpoint.spec, expect.spec)) {
    throw new CheckpointError(
      `${file}: the checkpoint is of a ${describeSpec(checkpoint.spec)} model, this run trains ${describeSpec(expect.spec)}`,
    );
  }
  const saved = new Map(Object.entries(checkpoint.optimizer));
  const settings: [string, unknown, unknown][] = [
    ["batchSize", checkpoint.batchSize, expect.batchSize],
    ["optimizer", checkpoint.optimizer.type, expect.optimizer.type],
    // Each hyper-parameter by its name (`learningRate`, `beta1`…): the types are equal here.
    ...Object.entries(expect.optimizer)
      .filter(([key]) => key !== "schedule")
      .map(([key, wanted]): [string, unknown, unknown] => [key, saved.get(key), wanted]),
    [
      "schedule",
      JSON.stringify(checkpoint.optimizer.schedule ?? "none"),
      JSON.stringify(expect.optimizer.schedule ?? "none"),
    ],
    [
      "optimizerState",
      checkpoint.optimizerState.join(","),
      optimizerFor(expect.optimizer).stateNames.join(","),
    ],
    ["seed", checkpoint.rng.seed, expect.seed],
    ["trainSamples", checkpoint.trainSamples, expect.trainSamples],
  ];
  for (const [name, saved, wanted] of settings) {
    if (saved !== wanted)
      throw new CheckpointError(
        `${file}: ${name} is ${saved} in the checkpoint, ${wanted} in this run`,
      );
  }
}

/** 32-bit FNV-1a, hex: enough to detect accidental corruption, not tampering. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

const intAtLeast = (min: number, what: string) =>
  v.pipe(v.number(expecting(what)), v.integer(expecting(what)), v.minValue(min, expecting(what)));
const count = intAtLeast(0, "an integer ≥ 0");
const positive = intAtLeast(1, "a positive integer");
/** A metric is a number, or null where JSON.stringify wrote a NaN (read back as NaN). */
const metric = v.pipe(
  v.nullable(v.number()),
  v.transform((x) => x ?? Number.NaN),
);

/** An MLP as shardfit 0.1 wrote it, read as the {@link mlpSpec} it is. */
const MlpSpecSchema = v.pipe(
  v.object(
    { inputSize: positive, hidden: v.array(positive), classes: positive },
    objectMessage("a model spec object", {
      inputSize: "a positive integer",
      hidden: "an array of positive integers",
      classes: "a positive integer",
    }),
  ),
  v.transform(({ inputSize, hidden, classes }) => mlpSpec(hidden, inputSize, classes)),
);

/** The outline; `checkSpec` checks the layers themselves. */
const SpecSchema = v.object({
  inputShape: v.array(positive),
  layers: v.array(v.looseObject({ kind: v.string() })),
});

/** What says the file is a checkpoint this build reads, checked first for a clearer message. */
const CheckpointHeader = v.object(
  { format: v.literal("shardfit-checkpoint"), version: v.literal(2) },
  objectMessage("a JSON object", { format: '"shardfit-checkpoint"', version: "2" }),
);

const CheckpointSchema = v.object(
  {
    format: v.literal("shardfit-checkpoint"),
    version: v.literal(2),
    spec: v.lazy((input) =>
      typeof input === "object" && input !== null && "layers" in input ? SpecSchema : MlpSpecSchema,
    ),
    epoch: count,
    stepsDone: count,
    rng: v.object(
      { seed: v.number(), nextEpoch: count },
      objectMessage("an object", { seed: "a number", nextEpoch: "an integer ≥ 0" }),
    ),
    batchSize: positive,
    optimizer: OptimizerSpecSchema,
    optimizerState: v.array(v.string()),
    workers: positive,
    trainSamples: positive,
    history: v.array(
      // Loose: a field added to EpochMetrics later survives a resume from an older build.
      v.looseObject({
        epoch: count,
        trainLoss: metric,
        trainAccuracy: metric,
        testLoss: metric,
        testAccuracy: metric,
        valLoss: v.optional(metric),
        valAccuracy: v.optional(metric),
        trainSeconds: v.number(),
        liveTensors: v.array(v.number()),
      }),
    ),
    callbacks: v.optional(v.record(v.string(), v.record(v.string(), v.nullable(v.number())))),
    weightCopies: v.optional(v.array(v.string())),
    stateChecksum: v.pipe(v.string(), v.regex(/^[0-9a-f]{8}$/, expecting("8 hex digits"))),
  },
  objectMessage("a JSON object", {
    spec: "a model spec object",
    epoch: "an integer ≥ 0",
    stepsDone: "an integer ≥ 0",
    rng: "an object {seed, nextEpoch}",
    batchSize: "a positive integer",
    optimizer: "an optimizer object",
    optimizerState: "an array of state vector names",
    workers: "a positive integer",
    trainSamples: "a positive integer",
    history: "an array of epoch metrics",
    callbacks: "callback states {name: {field: number or null}}",
    weightCopies: "an array of weight copy names",
    stateChecksum: "8 hex digits",
  }),
);
