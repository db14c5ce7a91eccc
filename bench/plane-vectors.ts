/**
 * Parameters and gradients as a worker holds them in a run: views of one shared
 * WebAssembly.Memory (the training plane's), passed as `weights` in the step's context, so the
 * sparse first layer reads and writes them in place as it does in training.
 */
export interface PlaneVectors {
  readonly weights: WebAssembly.Memory;
  readonly params: Float32Array;
  readonly grads: Float32Array[];
}

export function planeVectors(params: Float32Array, gradients = 1): PlaneVectors {
  const bytes = 4 * params.length;
  const pages = Math.ceil(((1 + gradients) * bytes) / 65536);
  const weights = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const inPlane = new Float32Array(weights.buffer, 0, params.length);
  inPlane.set(params);
  const grads = Array.from(
    { length: gradients },
    (_, g) => new Float32Array(weights.buffer, (1 + g) * bytes, params.length),
  );
  return { weights, params: inPlane, grads };
}
