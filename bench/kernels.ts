/**
 * Kernel-level evidence: GFLOP/s of the tfjs-wasm matMuls a training step is made of, at a
 * worker's shapes, and of the whole step (the workers' `gradientsInto`, in this thread).
 * Run in the main thread on the same wasm backend the workers use (single-threaded SIMD).
 *
 * mitata's `measure` with batching disabled (batch_threshold 0): every sample is one call, so
 * p50 is a per-call time that shrugs off the preemptions a shared machine inflicts.
 */
import { measure } from "mitata";
import { initParams } from "../src/core/model/init.ts";
import { DEFAULT_SPEC } from "../src/core/model/presets.ts";
import { tf, useWasmBackend } from "../src/tf/backend.ts";
import { createBatch } from "../src/worker/batch.ts";
import { workerModel } from "../src/worker/model.ts";

export interface KernelRow {
  name: string;
  /** Batch rows (per worker). */
  batch: number;
  /** Operand shapes, e.g. "64×784 · 784×512". */
  shapes: string;
  p50Ms: number;
  gflops: number;
}

const [IN, HID, OUT] = [784, 512, 10]; // DEFAULT_SPEC's widths

/** FLOPs of one training step at batch b: fwd1, fwd2, dW2, dA1, dW1 (2·m·k·n each). */
export const stepFlops = (b: number) => 2 * b * (2 * IN * HID + 3 * HID * OUT);

function random(n: number, seed: number, density = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    a[i] = u < density ? u - 0.5 : 0;
  }
  return a;
}

async function time(fn: () => void, samples: number): Promise<number> {
  const stats = await measure(fn, {
    min_samples: samples,
    max_samples: samples,
    min_cpu_time: 0,
    batch_threshold: 0,
    samples_threshold: Number.POSITIVE_INFINITY, // keep every sample (no trimming)
  });
  return stats.p50 / 1e6;
}

export async function kernelBench(batches: number[], samples = 30): Promise<KernelRow[]> {
  await useWasmBackend();
  const rows: KernelRow[] = [];
  const w1Data = random(IN * HID, 1);
  const model = workerModel(DEFAULT_SPEC);
  const params = initParams(DEFAULT_SPEC, 1);
  const grads = new Float32Array(model.size);
  for (const b of batches) {
    const mm = 2 * b * IN * HID;
    // ~19% of MNIST pixels are ink; the rest are exact zeros, as in the real batches.
    const xData = random(b * IN, 2, 0.19);
    const x = tf.tensor2d(xData, [b, IN]);
    const xT = tf.transpose(x);
    const w1 = tf.tensor2d(w1Data, [IN, HID]);
    const dzData = random(b * HID, 3);
    const dz = tf.tensor2d(dzData, [b, HID]);
    const add = async (name: string, shapes: string, flops: number, fn: () => void) => {
      const p50Ms = await time(fn, samples);
      rows.push({ name, batch: b, shapes, p50Ms, gflops: flops / (p50Ms * 1e6) });
    };
    await add("fwd x·W1, W1 reused (packed once)", `${b}×${IN} · ${IN}×${HID}`, mm, () =>
      tf.matMul(x, w1).dispose(),
    );
    await add("fwd x·W1, new W1 tensor", `${b}×${IN} · ${IN}×${HID}`, mm, () => {
      const w = tf.tensor2d(w1Data, [IN, HID]);
      tf.matMul(x, w).dispose();
      w.dispose();
    });
    // dense.ts: (W1ᵀ·xᵀ)ᵀ with xᵀ shared with the backward, so XNNPACK packs xᵀ, not W1.
    await add("fwd (W1ᵀ·xᵀ)ᵀ, new W1 (worker path)", `${HID}×${IN} · ${IN}×${b}`, mm, () => {
      const w = tf.tensor2d(w1Data, [IN, HID]);
      tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(w), xT))).dispose();
      w.dispose();
    });
    await add("dW1 = xᵀ·dz, xᵀ precomputed", `${IN}×${b} · ${b}×${HID}`, mm, () =>
      tf.matMul(xT, dz).dispose(),
    );
    await add("dW1 = transpose(x)·dz (dense.ts)", `${IN}×${b} · ${b}×${HID}`, mm, () => {
      const t = tf.transpose(x);
      tf.matMul(t, dz).dispose();
      t.dispose();
    });
    await add("dW1 = matMul(x, dz, true) (autodiff)", `(${b}×${IN})ᵀ · ${b}×${HID}`, mm, () =>
      tf.matMul(x, dz, true, false).dispose(),
    );
    // The whole worker step, the workers' own function: upload params + batch, forward,
    // backward, gradients copied out of the wasm heap.
    // All 784 columns active: the dense cost (training batches skip their blank pixels).
    const batch = createBatch(b, IN, OUT);
    batch.columns.set(Int32Array.from({ length: IN }, (_, j) => j));
    batch.x.set(xData);
    for (let i = 0; i < b; i++) batch.y[i * OUT + (i % OUT)] = 1;
    batch.weights.fill(1 / b);
    batch.mask.fill(1);
    await add("full step compute, all columns", `batch ${b}`, stepFlops(b), () => {
      model.gradientsInto(params, batch, grads, { step: 0 });
    });
    tf.dispose([x, xT, w1, dz]);
  }
  return rows;
}
