/**
 * Latency of the plain-TS forward pass (src/core/model/forward.ts) on real MNIST test images.
 *
 * mitata's `measure` with a fixed sample count and batching disabled: each sample is exactly
 * one `forward` call, so p50/p99 are per-request latencies (with batching, mitata would
 * average thousands of calls per sample and hide the tail).
 */
import { measure } from "mitata";
import type { ImageSet } from "../src/core/dataset.ts";
import { type ForwardModel, forward } from "../src/core/model/forward.ts";

export interface LatencyRow {
  batch: number;
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  /** Images per second at the p50 latency. */
  imagesPerSecond: number;
}

export async function predictBench(
  model: ForwardModel,
  test: ImageSet,
  plan: { batch: number; iterations: number }[],
): Promise<LatencyRow[]> {
  const px = test.rows * test.cols;
  const rows: LatencyRow[] = [];
  for (const { batch, iterations } of plan) {
    // A pool of distinct real batches, cycled, so the zero-skipping in forward() sees real data.
    const pool = Math.max(1, Math.min(64, Math.floor(test.count / batch)));
    const inputs = Array.from({ length: pool }, (_, k) => {
      const bytes = test.images.subarray(k * batch * px, (k + 1) * batch * px);
      return Float32Array.from(bytes, (v) => v / 255);
    });
    let next = 0;
    let sink = 0;
    const stats = await measure(
      () => {
        const out = forward(model, inputs[next], batch);
        next = (next + 1) % pool;
        sink += out[0];
      },
      {
        min_samples: iterations,
        max_samples: iterations,
        min_cpu_time: 0,
        batch_threshold: 0,
        // mitata drops the 2 fastest and 2 slowest samples unless told not to: keep the tail.
        samples_threshold: Number.POSITIVE_INFINITY,
      },
    );
    if (Number.isNaN(sink)) throw new Error("forward returned NaN");
    const p50Ms = stats.p50 / 1e6;
    rows.push({
      batch,
      iterations: stats.samples.length,
      p50Ms,
      p99Ms: stats.p99 / 1e6,
      imagesPerSecond: (1000 * batch) / p50Ms,
    });
  }
  return rows;
}
