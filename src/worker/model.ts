import type { ImageSet } from "../core/dataset.ts";
import { sampleDropoutMasks } from "../core/model/dropout.ts";
import {
  classesOf,
  inputSizeOf,
  type SequentialLayout,
  type SequentialSpec,
  sequentialLayout,
} from "../core/model/sequential.ts";
import { Rng } from "../core/rng.ts";
import { GEMM_KERNEL } from "../wasm/gemm.ts";
import type { Batch } from "./batch.ts";
import type { EvalOptions, EvalResult } from "./evaluate.ts";
import { SequentialGemmStep } from "./sequential-gemm.ts";
import { evaluateSequential, sequentialGradientsInto } from "./sequential-step.ts";

/**
 * What a worker computes with, whatever the model: the Dense stack's fast path (active
 * columns, gradients.ts) or the general Sequential path (sequential-step.ts).
 */
export interface WorkerModel {
  readonly spec: SequentialSpec;
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

/** Stream tag of the dropout masks, apart from initialisation's and the shuffles'. */
const DROPOUT_STREAM = 0xd0;

export function workerModel(spec: SequentialSpec): WorkerModel {
  return sequentialWorkerModel(spec);
}

const sizes = (spec: SequentialSpec) => ({
  inputSize: inputSizeOf(spec),
  classes: classesOf(spec),
});

function sequentialWorkerModel(spec: SequentialSpec): WorkerModel {
  const layout = sequentialLayout(spec);
  const hasDropout = layout.layers.some((l) => l.spec.kind === "dropout");
  return {
    spec,
    ...sizes(spec),
    size: layout.size,
    allColumns: true,
    gradientsInto: (params, batch, out, { step, seed = 0, sampleOffset = 0 }, timings) => {
      // A redone or resumed step, or another worker count, draws the same masks per sample.
      const masks = hasDropout
        ? sampleDropoutMasks(layout, batch.capacity, (row) =>
            Rng.fromSeed(DROPOUT_STREAM, seed, step, sampleOffset + batch.samples[row]),
          )
        : undefined;
      return sequentialStepInto(layout, params, batch, out, timings, masks);
    },
    evaluate: (params, set, options) => evaluateSequential(layout, params, set, options),
  };
}

/**
 * A Sequential model's step on the wasm gemm (sequential-gemm.ts), or on tfjs
 * (sequential-step.ts) where relaxed SIMD is missing. One gemm step per worker realm, rebuilt
 * when the layout or the batch capacity changes.
 */
function sequentialStepInto(
  layout: SequentialLayout,
  params: Float32Array,
  batch: Batch,
  out: Float32Array,
  timings: Float64Array | undefined,
  masks: readonly Float32Array[] | undefined,
): { loss: number; correct: number } {
  if (GEMM_KERNEL.unavailable()) {
    return sequentialGradientsInto(layout, params, batch, out, timings, masks);
  }
  if (gemmStep?.layout !== layout || gemmStep.capacity !== batch.capacity) {
    gemmStep = new SequentialGemmStep(layout, batch.capacity);
  }
  return gemmStep.gradientsInto(params, batch, out, timings, masks);
}

let gemmStep: SequentialGemmStep | undefined;
