import { type LayerLayout, type ModelLayout, shapeSize } from "./sequential.ts";

/**
 * What a training run of a model holds in memory, estimated from its layout before anything
 * is allocated, so a model too large for the machine is refused with a figure and a layer
 * instead of failing deep inside an allocation.
 *
 * Counted, in float32s: the shared plane (two copies of the parameters, two of each optimizer
 * state vector, one gradient row per thread); per thread, its copy of the weights the gemm
 * packs, its gradient and the activations of its share of the batch with their gradients
 * (and a convolution's patches); the main thread's copy of the parameters.
 */
export interface TrainingMemory {
  /** Bytes in all. */
  readonly bytes: number;
  /** Bytes of the one worker thread that holds the most (a wasm memory holds at most 4 GiB). */
  readonly perThreadBytes: number;
  /** The layer that needs the most, and its bytes. */
  readonly largest: { readonly index: number; readonly name: string; readonly bytes: number };
}

export interface TrainingShape {
  /** Threads that each run a step (workers). */
  readonly threads: number;
  /** Samples per thread per step (the global batch over the threads, rounded up). */
  readonly batchPerThread: number;
  /** Optimizer state vectors (RMSprop: 1; Adam: 2). */
  readonly optimizerSlots: number;
}

const F32 = 4;
/**
 * Copies of the parameter vector a run holds besides the plane's: measured, not derived (a
 * 784→20,000→10 and a 784→40,000→10 MLP, 2 workers, peak RSS grew by ~21 vectors per added
 * unit): the main thread's (2) and each thread's (weights, packed weights, gradients, evaluation).
 */
const MAIN_COPIES = 2;
const THREAD_COPIES = 6;
/** Fixed bytes per layer per thread (buffer alignment, step objects): 10,000 Dense(16) layers took ~165 KiB a layer over 2 threads. */
const LAYER_OVERHEAD = 96 * 1024;

/** Float32s of layer `layer` per parameter-sized vector and per sample of its activations. */
function layerFloats(layer: LayerLayout) {
  const params = layer.weights.reduce((sum, w) => sum + w.size, 0);
  const spec = layer.spec;
  // A convolution multiplies the input's patches: one row of kh·kw·cin per output pixel.
  const patches =
    spec.kind === "conv2d"
      ? shapeSize(layer.outputShape.slice(0, -1)) *
        spec.kernelSize[0] *
        spec.kernelSize[1] *
        layer.inputShape[layer.inputShape.length - 1]
      : 0;
  // Each output is held as an activation and as its gradient.
  return { params, perSample: 2 * shapeSize(layer.outputShape) + patches };
}

export function trainingMemory(layout: ModelLayout, shape: TrainingShape): TrainingMemory {
  const { threads, batchPerThread, optimizerSlots } = shape;
  // Copies of the parameter vector: 2 in the plane, 2 per optimizer slot, a gradient row per
  // thread, and those measured above.
  const paramCopies = 2 + 2 * optimizerSlots + threads * (1 + THREAD_COPIES) + MAIN_COPIES;
  let perThreadBytes = shapeSize(layout.inputShape) * batchPerThread * F32;
  let largest = { index: 0, name: layout.layers[0].name, bytes: 0 };
  let total = perThreadBytes * threads;
  layout.layers.forEach((layer, index) => {
    const { params, perSample } = layerFloats(layer);
    const activations = perSample * batchPerThread;
    const bytes = (params * paramCopies + activations * threads) * F32 + LAYER_OVERHEAD * threads;
    perThreadBytes += (THREAD_COPIES * params + activations) * F32 + LAYER_OVERHEAD;
    total += bytes;
    if (bytes > largest.bytes) largest = { index, name: layer.name, bytes };
  });
  return { bytes: total, perThreadBytes, largest };
}

/** `1.5 GiB`, `820 MiB`, `12 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
