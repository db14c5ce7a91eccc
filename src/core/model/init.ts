import { Rng } from "../rng.ts";
import { fillInitializer } from "./initializers.ts";
import type { SequentialLayout } from "./sequential.ts";

/**
 * Initial parameters in flat order, each weight drawn from its own initializer. One generator
 * runs through the weights in order and constant initializers draw nothing, so for a Dense
 * stack with glorot-uniform kernels this is bit-for-bit core/init.ts's `initParams`.
 */
export function initSequentialParams(layout: SequentialLayout, seed: number): Float32Array {
  const params = new Float32Array(layout.size);
  const rng = Rng.fromSeed(seed, 0x1417);
  for (const w of layout.weights) {
    fillInitializer(params.subarray(w.offset, w.offset + w.size), w.shape, w.initializer, rng);
  }
  return params;
}
