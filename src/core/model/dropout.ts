import type { Rng } from "../rng.ts";
import { type ModelLayout, shapeSize } from "./sequential.ts";

/**
 * Inverted-dropout masks for one training batch, drawn from shardfit's seeded generator so a
 * step is reproducible on any backend: one mask per Dropout layer, in layer order, each
 * `batch × (the layer's per-sample size)` values of 0 (dropped, probability `rate`) or
 * 1 / (1 − rate) (kept). At inference Dropout is the identity and no mask is drawn.
 */
export function dropoutMasks(layout: ModelLayout, batch: number, rng: Rng): Float32Array[] {
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

/**
 * The same masks drawn per sample: row b of every mask comes from `rngOf(b)` (layer by layer),
 * so a sample's masks do not depend on which rows, or which worker, it shares a batch with.
 */
export function sampleDropoutMasks(
  layout: ModelLayout,
  batch: number,
  rngOf: (row: number) => Rng,
): Float32Array[] {
  const layers = layout.layers.flatMap((l) => (l.spec.kind === "dropout" ? [l] : []));
  const sizes = layers.map((l) => shapeSize(l.inputShape));
  const masks = sizes.map((size) => new Float32Array(batch * size));
  for (let b = 0; b < batch; b++) {
    const rng = rngOf(b);
    layers.forEach((layer, k) => {
      const rate = (layer.spec as { rate: number }).rate;
      const row = masks[k].subarray(b * sizes[k], (b + 1) * sizes[k]);
      for (let i = 0; i < row.length; i++) row[i] = rng.next() < rate ? 0 : 1 / (1 - rate);
    });
  }
  return masks;
}
