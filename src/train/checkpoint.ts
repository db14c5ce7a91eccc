import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { writeFilesAtomically } from "../adapter/files.ts";
import { describeSpec, type ModelSpec, paramLayout, sameSpec } from "../core/spec.ts";
import { expecting, objectMessage, validate } from "../core/validate.ts";
import type { EpochMetrics } from "./train.ts";

/**
 * A training checkpoint, written after every epoch: `checkpoint.json` (what was trained, how
 * far, with which settings, the history) and `state.bin` (weights then RMSprop accumulators,
 * float32, in the flat layout). Shuffles are seeded by (seed, epoch, worker), so the seed and
 * the epoch are the whole generator state.
 */
export interface Checkpoint {
  format: "shardfit-checkpoint";
  version: 1;
  spec: ModelSpec;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  stepsDone: number;
  rng: { seed: number; nextEpoch: number };
  batchSize: number;
  learningRate: number;
  workers: number;
  trainSamples: number;
  history: EpochMetrics[];
  /** FNV-1a of state.bin, to catch a truncated or mixed-up pair of files. */
  stateChecksum: string;
}

export interface CheckpointState {
  checkpoint: Checkpoint;
  params: Float32Array;
  ms: Float32Array;
}

export const CHECKPOINT_FILE = "checkpoint.json";
export const STATE_FILE = "state.bin";

export async function saveCheckpoint(dir: string, state: CheckpointState): Promise<void> {
  const n = state.params.length;
  const bytes = new Uint8Array(8 * n);
  new Float32Array(bytes.buffer, 0, n).set(state.params);
  new Float32Array(bytes.buffer, 4 * n, n).set(state.ms);
  const checkpoint = { ...state.checkpoint, stateChecksum: fnv1a(bytes) };
  // state.bin is renamed into place before checkpoint.json, which names its checksum.
  await writeFilesAtomically(dir, {
    [STATE_FILE]: bytes,
    [CHECKPOINT_FILE]: JSON.stringify(checkpoint, null, 1),
  });
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
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

/** What says the file is a checkpoint at all, checked first for a clearer message. */
const CheckpointHeader = v.object(
  { format: v.literal("shardfit-checkpoint"), version: v.literal(1) },
  objectMessage("a JSON object", { format: '"shardfit-checkpoint"', version: "1" }),
);

const CheckpointSchema = v.object(
  {
    format: v.literal("shardfit-checkpoint"),
    version: v.literal(1),
    spec: v.object(
      { inputSize: positive, hidden: v.array(positive), classes: positive },
      objectMessage("a model spec object", {
        inputSize: "a positive integer",
        hidden: "an array of positive integers",
        classes: "a positive integer",
      }),
    ),
    epoch: count,
    stepsDone: count,
    rng: v.object(
      { seed: v.number(), nextEpoch: count },
      objectMessage("an object", { seed: "a number", nextEpoch: "an integer ≥ 0" }),
    ),
    batchSize: positive,
    learningRate: v.pipe(
      v.number(expecting("a positive number")),
      v.gtValue(0, expecting("a positive number")),
    ),
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
        trainSeconds: v.number(),
        liveTensors: v.array(v.number()),
      }),
    ),
    stateChecksum: v.pipe(v.string(), v.regex(/^[0-9a-f]{8}$/, expecting("8 hex digits"))),
  },
  objectMessage("a JSON object", {
    spec: "a model spec object",
    epoch: "an integer ≥ 0",
    stepsDone: "an integer ≥ 0",
    rng: "an object {seed, nextEpoch}",
    batchSize: "a positive integer",
    learningRate: "a positive number",
    workers: "a positive integer",
    trainSamples: "a positive integer",
    history: "an array of epoch metrics",
    stateChecksum: "8 hex digits",
  }),
);

/** Settings a resumed run must share with its checkpoint to continue the same run. */
export interface ResumeExpectations {
  spec: ModelSpec;
  batchSize: number;
  learningRate: number;
  seed: number;
  trainSamples: number;
}

/** Loads and validates a checkpoint; `undefined` when the directory has none. */
export async function loadCheckpoint(
  dir: string,
  expect: ResumeExpectations,
): Promise<CheckpointState | undefined> {
  const jsonPath = join(dir, CHECKPOINT_FILE);
  const statePath = join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(jsonPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${jsonPath}: not valid JSON (${(error as Error).message})`);
  }
  validate(CheckpointHeader, json, (msg) => {
    throw new CheckpointError(`${jsonPath}: not a shardfit checkpoint (${msg})`);
  });
  const checkpoint: Checkpoint = validate(CheckpointSchema, json, (msg) => {
    throw new CheckpointError(`${jsonPath}: ${msg}`);
  });
  if (!sameSpec(checkpoint.spec, expect.spec)) {
    throw new CheckpointError(
      `${jsonPath}: the checkpoint is of a ${describeSpec(checkpoint.spec)} model, this run trains ${describeSpec(expect.spec)}`,
    );
  }
  const settings: [string, number, number][] = [
    ["batchSize", checkpoint.batchSize, expect.batchSize],
    ["learningRate", checkpoint.learningRate, expect.learningRate],
    ["seed", checkpoint.rng.seed, expect.seed],
    ["trainSamples", checkpoint.trainSamples, expect.trainSamples],
  ];
  for (const [name, saved, wanted] of settings) {
    if (saved !== wanted)
      throw new CheckpointError(
        `${jsonPath}: ${name} is ${saved} in the checkpoint, ${wanted} in this run`,
      );
  }
  const n = paramLayout(checkpoint.spec).size;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(statePath));
  } catch (error) {
    throw new CheckpointError(`${statePath}: cannot read (${(error as Error).message})`);
  }
  if (bytes.length !== 8 * n) {
    throw new CheckpointError(
      `${statePath}: expected ${8 * n} bytes (weights and RMSprop state of ${n} parameters), got ${bytes.length}`,
    );
  }
  if (fnv1a(bytes) !== checkpoint.stateChecksum) {
    throw new CheckpointError(
      `${statePath}: checksum does not match ${CHECKPOINT_FILE} (corrupt or from another checkpoint)`,
    );
  }
  const params = new Float32Array(bytes.buffer.slice(0, 4 * n));
  const ms = new Float32Array(bytes.buffer.slice(4 * n, 8 * n));
  return { checkpoint, params, ms };
}

/** 32-bit FNV-1a, hex: enough to detect accidental corruption, not tampering. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
