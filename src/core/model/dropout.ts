import type { Rng } from "../rng.ts";
import { type SequentialLayout, shapeSize } from "./sequential.ts";

/**
 * Inverted-dropout masks for one training batch, drawn from shardfit's seeded generator so a
 * step is reproducible on any backend: one mask per Dropout layer, in layer order, each
 * `batch × (the layer's per-sample size)` values of 0 (dropped, probability `rate`) or
 * 1 / (1 − rate) (kept). At inference Dropout is the identity and no mask is drawn.
 */
export function dropoutMasks(layout: SequentialLayout, batch: number, rng: Rng): Float32Array[] {
  const masks: Float32Array[] = [];
  for (const layer of layout.layers) {
    if (layer.spec.kind !== "dropout") continue;
    const { rate } = layer.spec;
    const keep = 1 / (1 - rate);
    const mask = new Float32Array(batch * shapeSize(layer.inputShape));
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < rate ? 0 : keep;
    masks.push(mask);
  }
  return masks;
}
