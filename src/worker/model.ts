import type { ImageSet } from "../core/dataset.ts";
import { sampleDropoutMasks } from "../core/model/dropout.ts";
import {
  type ModelLayout,
  type ModelSpec,
  modelLayout,
  shapeSize,
} from "../core/model/sequential.ts";
import { Rng } from "../core/rng.ts";
import { GEMM_KERNEL } from "../wasm/gemm.ts";
import { type Batch, createBatch } from "./batch.ts";
import { type EvalOptions, type EvalResult, evaluateInChunks } from "./evaluate.ts";
import { activeColumnsLayer, SequentialGemmStep } from "./sequential-gemm.ts";

/** What a worker computes with, whatever the model: its step's gradients and evaluation. */
export interface WorkerModel {
  /** Parameters in the flat vector. */
  readonly size: number;
  readonly inputSize: number;
  readonly classes: number;
  /** Batches must hold every input column (a conv needs whole images), not the active ones. */
  readonly allColumns: boolean;
  /** This worker's share of step `step`'s gradient into `out`; its weighted loss and hits. */
  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    context: StepContext,
    timings?: Float64Array,
  ): { loss: number; correct: number };
  /** Loss and accuracy over `set`; with `predictions`, each sample's class and probability. */
  evaluate(params: Float32Array, set: ImageSet, options?: EvalOptions): EvalResult;
  /** Live tfjs tensors (a leak check): 0 unless the tfjs step runs. */
  liveTensors(): number;
}

/**
 * Which step of the run a gradient is for, and what places the batch's samples in the run:
 * each sample's dropout masks come from (seed, step, its global index).
 */
export interface StepContext {
  readonly step: number;
  readonly seed?: number;
  /** Global index of the shard's first sample. */
  readonly sampleOffset?: number;
}

/** A model's forward and backward pass over batches of `capacity` samples. */
export interface Step {
  readonly capacity: number;
  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    timings?: Float64Array,
    dropoutMasks?: readonly Float32Array[],
  ): { loss: number; correct: number };
  /** The batch's logits, `capacity × classes`: read them before the step's next call. */
  logits(params: Float32Array, batch: Batch): Float32Array;
}

/** What makes a model's steps: the wasm gemm, or tfjs where relaxed SIMD is missing. */
export interface StepEngine {
  /** Whether the steps need batches of every input column. */
  allColumns(layout: ModelLayout): boolean;
  step(layout: ModelLayout, capacity: number): Step;
  liveTensors(): number;
}

const GEMM_ENGINE: StepEngine = {
  allColumns: (layout) => activeColumnsLayer(layout) < 0,
  step: (layout, capacity) => new SequentialGemmStep(layout, capacity),
  liveTensors: () => 0,
};

/** Stream tag of the dropout masks, apart from initialisation's and the shuffles'. */
const DROPOUT_STREAM = 0xd0;

/** Evaluation chunk: one step's capacity; small enough that a convnet's activations stay modest. */
const EVAL_CHUNK = 64;

/**
 * The worker model on the wasm gemm, or where relaxed SIMD is missing on tfjs, which is
 * loaded only then.
 */
export async function loadWorkerModel(spec: ModelSpec): Promise<WorkerModel> {
  if (!GEMM_KERNEL.unavailable()) return workerModel(spec);
  const { tfjsEngine } = await import("./tfjs-step.ts");
  return workerModel(spec, await tfjsEngine());
}

export function workerModel(spec: ModelSpec, engine = GEMM_ENGINE): WorkerModel {
  const layout = modelLayout(spec);
  const hasDropout = layout.layers.some((l) => l.spec.kind === "dropout");
  const shape = {
    size: layout.size,
    inputSize: shapeSize(layout.inputShape),
    classes: shapeSize(layout.outputShape),
    allColumns: engine.allColumns(layout),
  };
  // One step for training, rebuilt when the batch capacity changes, and one for evaluation.
  let training: Step | undefined;
  let evaluation: Step | undefined;
  return {
    ...shape,
    gradientsInto: (params, batch, out, { step, seed = 0, sampleOffset = 0 }, timings) => {
      if (training?.capacity !== batch.capacity) training = engine.step(layout, batch.capacity);
      // A redone or resumed step, or another worker count, draws the same masks per sample.
      const masks = hasDropout
        ? sampleDropoutMasks(layout, batch.capacity, (row) =>
            Rng.fromSeed(DROPOUT_STREAM, seed, step, sampleOffset + batch.samples[row]),
          )
        : undefined;
      return training.gradientsInto(params, batch, out, timings, masks);
    },
    evaluate: (params, set, options = {}) => {
      evaluation ??= engine.step(layout, EVAL_CHUNK);
      const step = evaluation;
      const batch = createBatch(EVAL_CHUNK, shape.inputSize, shape.classes, shape.allColumns);
      return evaluateInChunks(set, batch, options, (b) => step.logits(params, b));
    },
    liveTensors: () => engine.liveTensors(),
  };
}
