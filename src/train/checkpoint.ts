import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFilesAtomically } from "../adapter/files.ts";
import { describeSpec, type ModelSpec, paramLayout, sameSpec } from "../core/spec.ts";
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
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${jsonPath}: not valid JSON (${(error as Error).message})`);
  }
  if (checkpoint?.format !== "shardfit-checkpoint" || checkpoint.version !== 1) {
    throw new CheckpointError(
      `${jsonPath}: not a shardfit checkpoint (format ${JSON.stringify(checkpoint?.format)}, version ${checkpoint?.version})`,
    );
  }
  if (!sameSpec(checkpoint.spec, expect.spec)) {
    throw new CheckpointError(
      `${jsonPath}: the checkpoint is of a ${describeSpec(checkpoint.spec)} model, this run trains ${describeSpec(expect.spec)}`,
    );
  }
  const settings: [string, number, number][] = [
    ["batchSize", checkpoint.batchSize, expect.batchSize],
    ["learningRate", checkpoint.learningRate, expect.learningRate],
    ["seed", checkpoint.rng?.seed, expect.seed],
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
