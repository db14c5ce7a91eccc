import { type Dataset, sliceSet } from "../core/dataset.ts";
import { type Partition, splitCount } from "../core/plan.ts";
import { encodeShard } from "../core/shard.ts";
import type { ShardProvider } from "../server/shards.ts";

/**
 * Each worker's shard, encoded on first request: its contiguous part of the training set
 * (as the partition says) and an even part of the test set.
 */
export function shardProvider(data: Dataset, parts: Partition, token: string): ShardProvider {
  const testSizes = splitCount(data.test.count, parts.shardSizes.length);
  const cache = new Map<number, Uint8Array>();
  const encode = (w: number) => {
    const testStart = testSizes.slice(0, w).reduce((a, b) => a + b, 0);
    const trainStart = parts.shardOffsets[w];
    return encodeShard({
      train: sliceSet(data.train, trainStart, trainStart + parts.shardSizes[w]),
      test: sliceSet(data.test, testStart, testStart + testSizes[w]),
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
