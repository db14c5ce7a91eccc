import { type SampleData, sliceSamples } from "../core/data/dataset.ts";
import { type Partition, splitCount } from "../core/data/plan.ts";
import { encodeShard } from "../core/data/shard.ts";
import type { ShardProvider } from "../server/shards.ts";

/**
 * Each worker's shard, encoded on first request: its contiguous part of the training set
 * (as the partition says) and an even part of the test set.
 */
export function shardProvider(
  data: SampleData,
  parts: Partition,
  token: string | readonly string[],
): ShardProvider {
  const testSizes = splitCount(data.test.count, parts.shardSizes.length);
  const cache = new Map<number, Uint8Array>();
  const encode = (w: number) => {
    const testStart = testSizes.slice(0, w).reduce((a, b) => a + b, 0);
    const trainStart = parts.shardOffsets[w];
    return encodeShard({
      train: sliceSamples(data.train, trainStart, trainStart + parts.shardSizes[w]),
      test: sliceSamples(data.test, testStart, testStart + testSizes[w]),
    });
  };
  return {
    token,
    count: parts.shardSizes.length,
    shard(w) {
      let bytes = cache.get(w);
      if (!bytes) {
        bytes = encode(w);
        cache.set(w, bytes);
      }
      return bytes;
    },
  };
}

/** A provider that serves nothing until the run knows its partition (remote participants). */
export class LazyShards implements ShardProvider {
  private inner?: ShardProvider;

  provide(provider: ShardProvider): void {
    this.inner = provider;
  }

  get token(): string | readonly string[] {
    return this.inner?.token ?? [];
  }

  get count(): number {
    return this.inner?.count ?? 0;
  }

  shard(index: number): Uint8Array {
    if (!this.inner) throw new Error("shards: the run has not split its data yet");
    return this.inner.shard(index);
  }
}
