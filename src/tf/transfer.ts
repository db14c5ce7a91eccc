import { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";

/**
 * A float32 tensor's values, without a copy on the wasm backend: a view of the wasm heap.
 * `dataSync()` would first allocate a fresh copy (1.6 MB of gradients every step, measured at
 * ~0.6 ms of a ~6 ms step). The view is valid only until tfjs next allocates (memory growth
 * replaces the heap's buffer): read it at once. It relies on tfjs-backend-wasm's
 * `dataIdMap`/`HEAPU8`, stable in the pinned 4.22.0 and checked against `dataSync()` by
 * test/tf/transfer.test.ts. Other backends return `dataSync()`.
 */
export function valuesOf(tensor: tf.Tensor): Float32Array {
  const backend = tf.backend();
  if (backend instanceof BackendWasm && tensor.dtype === "float32") {
    const { memoryOffset } = backend.dataIdMap.get(tensor.dataId);
    // Emscripten's heap view, present at run time but missing from the type declarations.
    const heap = (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
    return new Float32Array(heap.buffer, memoryOffset, tensor.size);
  }
  return tensor.dataSync() as Float32Array;
}

/** Copies a float32 tensor's values into `out` at `offset`. */
export function copyInto(tensor: tf.Tensor, out: Float32Array, offset = 0): void {
  out.set(valuesOf(tensor), offset);
}
