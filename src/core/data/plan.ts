import { Rng } from "./rng.ts";

/**
 * How a global batch of B samples is split over N workers: worker w takes `share(B)[w]`
 * samples of every step (⌊B/N⌋, plus one for the first B mod N workers); the last, partial
 * batch is split the same way. A worker's shard holds exactly the samples it will be asked
 * for, so every step is a full global batch from fixed per-worker shapes.
 */
export function splitCount(count: number, workers: number): number[] {
  return Array.from(
    { length: workers },
    (_, w) => Math.floor(count / workers) + (w < count % workers ? 1 : 0),
  );
}

export interface Partition {
  /** Global batch size. */
  readonly batchSize: number;
  /** Number of steps per epoch, ⌈total / B⌉. */
  readonly steps: number;
  /** Samples per worker shard. */
  readonly shardSizes: number[];
  /** First global sample index of each shard (shards are contiguous). */
  readonly shardOffsets: number[];
}

export function partition(total: number, workers: number, batchSize: number): Partition {
  if (total <= 0) throw new Error(`partition: no samples to train on`);
  const steps = Math.ceil(total / batchSize);
  const full = splitCount(batchSize, workers);
  const last = splitCount(total - (steps - 1) * batchSize, workers);
  const shardSizes = full.map((b, w) => (steps - 1) * b + last[w]);
  const shardOffsets = shardSizes.map((_, w) => shardSizes.slice(0, w).reduce((a, b) => a + b, 0));
  return { batchSize, steps, shardSizes, shardOffsets };
}

/** One worker's part of an epoch: its local sample indices in step order. */
export interface WorkerPlan {
  /** Local indices (into the worker's shard), concatenated step after step. */
  readonly indices: Int32Array;
  /** Samples this worker takes at each step. */
  readonly counts: Int32Array;
  /** Samples in each step's global batch (the mean's denominator). */
  readonly globalCounts: Int32Array;
  /**
   * Global index of the shard's first sample, and the run's seed: a sample's dropout masks
   * are drawn from (seed, step, global index), the same on any worker count.
   */
  readonly sampleOffset?: number;
  readonly seed?: number;
}

/**
 * The epoch's plan for every worker: each shard shuffled with a generator seeded by
 * (seed, epoch, worker), so a resumed run replays exactly the same batches.
 */
export function epochPlans(p: Partition, seed: number, epoch: number): WorkerPlan[] {
  const workers = p.shardSizes.length;
  const full = splitCount(p.batchSize, workers);
  const lastGlobal = p.shardSizes.reduce((a, b) => a + b, 0) - (p.steps - 1) * p.batchSize;
  const last = splitCount(lastGlobal, workers);
  const globalCounts = new Int32Array(p.steps).fill(p.batchSize);
  globalCounts[p.steps - 1] = lastGlobal;
  return p.shardSizes.map((size, w) => {
    const indices = new Int32Array(size);
    for (let i = 0; i < size; i++) indices[i] = i;
    Rng.fromSeed(seed, epoch, w).shuffle(indices);
    const counts = new Int32Array(p.steps).fill(full[w]);
    counts[p.steps - 1] = last[w];
    return { indices, counts, globalCounts, sampleOffset: p.shardOffsets[w], seed };
  });
}

/**
 * Turns explicit global batches (global sample indices) into per-worker plans for a
 * partition, each worker taking the samples its shard owns. This replays the same global
 * batches on any number of workers (N workers compute what 1 worker computes).
 */
export function plansFromGlobalBatches(
  p: Partition,
  batches: readonly ArrayLike<number>[],
): WorkerPlan[] {
  const workers = p.shardSizes.length;
  const owner = (sample: number) => {
    let w = workers - 1;
    while (w > 0 && sample < p.shardOffsets[w]) w--;
    return w;
  };
  const local: number[][] = Array.from({ length: workers }, () => []);
  const counts = Array.from({ length: workers }, () => new Int32Array(batches.length));
  const globalCounts = Int32Array.from(batches, (b) => b.length);
  batches.forEach((batch, s) => {
    for (let i = 0; i < batch.length; i++) {
      const w = owner(batch[i]);
      local[w].push(batch[i] - p.shardOffsets[w]);
      counts[w][s]++;
    }
  });
  return local.map((indices, w) => ({
    indices: Int32Array.from(indices),
    counts: counts[w],
    globalCounts,
    sampleOffset: p.shardOffsets[w],
  }));
}
