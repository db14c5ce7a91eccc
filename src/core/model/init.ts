import { Rng } from "../rng.ts";
import { fillInitializer } from "./initializers.ts";
import { type ModelSpec, modelLayout } from "./sequential.ts";

/**
 * Initial parameters in flat order, each weight drawn from its own initializer. One generator
 * runs through the weights in order and constant initializers draw nothing, so an MLP draws
 * exactly what shardfit 0.1's Dense-only initialiser drew for the same seed.
 */
export function initParams(spec: ModelSpec, seed: number): Float32Array {
  const layout = modelLayout(spec);
  const params = new Float32Array(layout.size);
  const rng = Rng.fromSeed(seed, 0x1417);
  for (const w of layout.weights) {
    fillInitializer(params.subarray(w.offset, w.offset + w.size), w.shape, w.initializer, rng);
  }
  return params;
}
