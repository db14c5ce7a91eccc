import type { SampleSet } from "../core/data/dataset.ts";
import { Rng } from "../core/data/rng.ts";
import type { LossName } from "../core/loss/loss.ts";
import { sampleDropoutMasks } from "../core/model/dropout.ts";
import {
  type ModelLayout,
  type ModelSpec,
  modelLayout,
  shapeSize,
} from "../core/model/sequential.ts";
import { GEMM_KERNEL } from "../wasm/gemm.ts";
import { type Batch, createBatch } from "./batch.ts";
import {
  type EvalOptions,
  type EvalResult,
  evaluateInChunks,
  type StepForward,
} from "./evaluate.ts";
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
  /**
   * Loss and accuracy over `set`; with `predictions`, each sample's class and probability.
   * `weights`: the shared memory `params` may be a view of (as in `StepContext`).
   */
  evaluate(
    params: Float32Array,
    set: SampleSet,
    options?: EvalOptions,
    weights?: WebAssembly.Memory,
  ): EvalResult;
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
  /**
   * The shared memory the parameters and the gradient are views of (the training plane's),
   * if any: the first layer's sparse form then reads and writes them in place.
   */
  readonly weights?: WebAssembly.Memory;
}

/** A model's forward and backward pass over batches of `capacity` samples. */
export interface Step extends StepForward {
  readonly capacity: number;
  gradientsInto(
    params: Float32Array,
    batch: Batch,
    out: Float32Array,
    timings?: Float64Array,
    dropoutMasks?: readonly Float32Array[],
    weights?: WebAssembly.Memory,
  ): { loss: number; correct: number };
}

/** What makes a model's steps: the wasm gemm, or tfjs where relaxed SIMD is missing. */
export interface StepEngine {
  /** Whether the steps need batches of every input column. */
  allColumns(layout: ModelLayout): boolean;
  /** `loss`: by default the one for the last layer's activation (core/loss `lossForActivation`). */
  step(layout: ModelLayout, capacity: number, loss?: LossName): Step;
  liveTensors(): number;
}

const GEMM_ENGINE: StepEngine = {
  allColumns: (layout) => activeColumnsLayer(layout) < 0,
  step: (layout, capacity, loss) => new SequentialGemmStep(layout, capacity, loss),
  liveTensors: () => 0,
};

/** Stream tag of the dropout masks, apart from initialisation's and the shuffles'. */
const DROPOUT_STREAM = 0xd0;

/** Evaluation chunk: one step's capacity; small enough that a convnet's activations stay modest. */
const EVAL_CHUNK = 64;

/**
 * The worker model on the wasm gemm, or where relaxed SIMD is missing on tfjs, which is
 * loaded only then. `loss`: by default the one for the last layer's activation.
 */
export async function loadWorkerModel(spec: ModelSpec, loss?: LossName): Promise<WorkerModel> {
  if (!GEMM_KERNEL.unavailable()) return workerModel(spec, GEMM_ENGINE, loss);
  const { tfjsEngine } = await import("./tfjs-step.ts");
  return workerModel(spec, await tfjsEngine(), loss);
}

export function workerModel(spec: ModelSpec, engine = GEMM_ENGINE, loss?: LossName): WorkerModel {
  const layout = modelLayout(spec);
  // Fails here, on loading, for a loss the model's output cannot train with.
  engine.step(layout, 1, loss);
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
    gradientsInto: (params, batch, out, context, timings) => {
      const { step, seed = 0, sampleOffset = 0, weights } = context;
      if (training?.capacity !== batch.capacity) {
        training = engine.step(layout, batch.capacity, loss);
      }
      // A redone or resumed step, or another worker count, draws the same masks per sample.
      const masks = hasDropout
        ? sampleDropoutMasks(layout, batch.capacity, (row) =>
            Rng.fromSeed(DROPOUT_STREAM, seed, step, sampleOffset + batch.samples[row]),
          )
        : undefined;
      return training.gradientsInto(params, batch, out, timings, masks, weights);
    },
    evaluate: (params, set, options = {}, weights) => {
      evaluation ??= engine.step(layout, EVAL_CHUNK, loss);
      const batch = createBatch(EVAL_CHUNK, shape.inputSize, shape.classes, shape.allColumns);
      return evaluateInChunks(set, batch, options, evaluation, params, weights);
    },
    liveTensors: () => engine.liveTensors(),
  };
}
