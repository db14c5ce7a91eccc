/**
 * A model is a stack of Dense layers: hidden layers use ReLU, the last uses softmax.
 *
 * Flat parameter layout (the single `Float32Array` every part of shardfit shares):
 * for each layer in order, its kernel `[inputs × units]` row-major (the shape tfjs and Keras
 * use), then its bias `[units]`. This is also the byte order of `weights.bin`, so saving and
 * loading never repack.
 */
export interface ModelSpec {
  /** Features per sample (784 for 28×28 MNIST). */
  readonly inputSize: number;
  /** Units of each hidden ReLU layer, e.g. `[512]`. */
  readonly hidden: readonly number[];
  /** Classes of the softmax output layer. */
  readonly classes: number;
}

export const DEFAULT_SPEC: ModelSpec = { inputSize: 784, hidden: [512], classes: 10 };

export interface LayerLayout {
  readonly inputs: number;
  readonly units: number;
  readonly activation: "relu" | "softmax";
  /** Offset (in floats) of the kernel in the flat vector. */
  readonly kernelOffset: number;
  /** Offset (in floats) of the bias in the flat vector. */
  readonly biasOffset: number;
}

export interface ParamLayout {
  readonly layers: readonly LayerLayout[];
  /** Total number of parameters. */
  readonly size: number;
}

export function validateSpec(spec: ModelSpec): ModelSpec {
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!positiveInt(spec.inputSize)) {
    throw new Error(`model spec: inputSize must be a positive integer, got ${spec.inputSize}`);
  }
  if (!positiveInt(spec.classes) || spec.classes < 2) {
    throw new Error(`model spec: classes must be an integer ≥ 2, got ${spec.classes}`);
  }
  if (!Array.isArray(spec.hidden) || !spec.hidden.every(positiveInt)) {
    throw new Error(
      `model spec: hidden must be positive integers, got ${JSON.stringify(spec.hidden)}`,
    );
  }
  return spec;
}

export function paramLayout(spec: ModelSpec): ParamLayout {
  validateSpec(spec);
  const widths = [spec.inputSize, ...spec.hidden, spec.classes];
  const layers: LayerLayout[] = [];
  let offset = 0;
  for (let i = 0; i + 1 < widths.length; i++) {
    const inputs = widths[i];
    const units = widths[i + 1];
    const kernelOffset = offset;
    const biasOffset = kernelOffset + inputs * units;
    offset = biasOffset + units;
    const activation = i + 2 === widths.length ? "softmax" : "relu";
    layers.push({ inputs, units, activation, kernelOffset, biasOffset });
  }
  return { layers, size: offset };
}

export function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return (
    a.inputSize === b.inputSize &&
    a.classes === b.classes &&
    a.hidden.length === b.hidden.length &&
    a.hidden.every((h, i) => h === b.hidden[i])
  );
}

export function describeSpec(spec: ModelSpec): string {
  return [spec.inputSize, ...spec.hidden, spec.classes].join("→");
}
