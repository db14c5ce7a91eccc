/**
 * One convnet training step as a worker runs it, for the benchmarks: upload the parameters
 * (fresh tensors, as every step does) and a batch of 32, forward + backward, download every
 * gradient, dispose. `sequential` is the module under test (this tree's or a baseline's).
 */

import { Rng } from "../../src/core/data/rng.ts";
import { outputLoss } from "../../src/core/loss/output-loss.ts";
import { initParams } from "../../src/core/model/init.ts";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import { type ModelLayout, modelLayout } from "../../src/core/model/sequential.ts";
import { tf } from "../../src/tf/backend.ts";
import type * as Sequential from "../../src/tf/sequential.ts";

/**
 * Training FLOPs of the convnet per sample: forward (5.59 M), dK (the same) and dX (the same
 * but for the first layer's, which is not computed). 2 FLOPs per multiply-add.
 */
export const FLOPS_PER_SAMPLE = 16.4e6;

export type SequentialModule = Pick<
  typeof Sequential,
  "sequentialLossAndGrads" | "sequentialTensors"
> &
  Partial<Pick<typeof Sequential, "setSequentialPhaseProbe">>;

/** Per-phase wall and CPU times (ms) of the steps run with {@link PhaseTimer.mark}. */
export class PhaseTimer {
  readonly phases = new Map<string, { wall: number[]; cpu: number[] }>();
  readonly steps = { wall: [] as number[], cpu: [] as number[] };
  private last = PhaseTimer.now();

  static now() {
    const c = process.cpuUsage();
    return { wall: performance.now(), cpu: (c.user + c.system) / 1000 };
  }

  readonly mark = (phase: string) => {
    const t = PhaseTimer.now();
    const p = this.phases.get(phase) ?? { wall: [], cpu: [] };
    p.wall.push(t.wall - this.last.wall);
    p.cpu.push(t.cpu - this.last.cpu);
    this.phases.set(phase, p);
    this.last = PhaseTimer.now();
  };

  /** Runs and times one step, its phases marked (the module's probe is set meanwhile). */
  time(m: SequentialModule, s: StepInputs, out: Float32Array): void {
    m.setSequentialPhaseProbe?.(this.mark);
    const start = PhaseTimer.now();
    this.last = start;
    runStep(m, s, out, this.mark);
    const end = PhaseTimer.now();
    m.setSequentialPhaseProbe?.(undefined);
    this.steps.wall.push(end.wall - start.wall);
    this.steps.cpu.push(end.cpu - start.cpu);
  }
}

export interface StepInputs {
  readonly layout: ModelLayout;
  readonly params: Float32Array;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly batch: number;
}

/** MNIST-like inputs: a zero background (so ReLU and pooling ties occur) and random strokes. */
export function stepInputs(batch: number, seed = 1): StepInputs {
  const layout = modelLayout(CONVNET_SPEC);
  const rng = Rng.fromSeed(seed);
  const x = Float32Array.from({ length: batch * 784 }, () => (rng.next() < 0.8 ? 0 : rng.next()));
  const y = new Float32Array(batch * 10);
  for (let b = 0; b < batch; b++) y[b * 10 + rng.int(10)] = 1;
  return { layout, params: initParams(layout.spec, seed), x, y, batch };
}

/**
 * Runs one step, writing the flat gradients into `out`; returns the loss. `mark` is called as
 * the upload and the download end.
 */
export function runStep(
  m: SequentialModule,
  s: StepInputs,
  out: Float32Array,
  mark?: (phase: string) => void,
): number {
  const params = m.sequentialTensors(s.layout, s.params);
  const x = tf.tensor2d(s.x, [s.batch, 784]);
  const batch = { y: s.y, weights: new Float32Array(s.batch).fill(1 / s.batch) };
  const softmaxCe = outputLoss("categorical_crossentropy", "softmax", 10);
  mark?.("upload");
  const r = m.sequentialLossAndGrads(
    s.layout,
    params,
    x,
    (outputs, gradient) => softmaxCe.evaluate(outputs, batch, gradient),
    { lastActivation: "linear" },
  );
  s.layout.weights.forEach((wl, i) => {
    out.set(r.grads[i].dataSync() as Float32Array, wl.offset);
  });
  mark?.("download");
  tf.dispose([...params, x, ...r.grads]);
  return r.score;
}
