import { initSequentialParams } from "./model/init.ts";
import { sequentialLayout } from "./model/sequential.ts";
import { Rng } from "./rng.ts";
import { paramLayout } from "./spec.ts";
import { isSequentialSpec, type TrainSpec } from "./train-spec.ts";

/**
 * Keras's defaults for Dense: glorot-uniform kernels, U(-l, l) with l = sqrt(6 / (in + out)),
 * and zero biases. A Sequential spec draws each weight from its own initializer
 * (model/init.ts), which for a Dense stack is the same stream.
 */
export function initParams(spec: TrainSpec, seed: number): Float32Array {
  if (isSequentialSpec(spec)) return initSequentialParams(sequentialLayout(spec), seed);
  const layout = paramLayout(spec);
  const params = new Float32Array(layout.size);
  const rng = Rng.fromSeed(seed, 0x1417);
  for (const layer of layout.layers) {
    const limit = Math.sqrt(6 / (layer.inputs + layer.units));
    const end = layer.kernelOffset + layer.inputs * layer.units;
    for (let i = layer.kernelOffset; i < end; i++) params[i] = (2 * rng.next() - 1) * limit;
  }
  return params;
}
