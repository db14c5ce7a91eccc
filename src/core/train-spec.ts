import {
  kerasClass,
  type LayerSpec,
  type SequentialSpec,
  sequentialLayout,
  shapeSize,
} from "./model/sequential.ts";
import { describeSpec, type ModelSpec, paramLayout, sameSpec, validateSpec } from "./spec.ts";

/**
 * What a run trains: a Dense stack of spec.ts (`--model mlp`, the fast path with active
 * columns, whose files and results stay exactly as they were) or any Sequential model of
 * core/model (`--model convnet`, a topology file). Both share one flat parameter vector.
 */
export type TrainSpec = ModelSpec | SequentialSpec;

export const isSequentialSpec = (spec: TrainSpec): spec is SequentialSpec =>
  "layers" in spec && "inputShape" in spec;

/** Checks a spec of either kind (throws naming the field or layer). */
export function validateTrainSpec(spec: TrainSpec): TrainSpec {
  if (isSequentialSpec(spec)) sequentialLayout(spec);
  else validateSpec(spec);
  return spec;
}

export function parameterCount(spec: TrainSpec): number {
  return isSequentialSpec(spec) ? sequentialLayout(spec).size : paramLayout(spec).size;
}

/** Input values per sample (784 for 28×28 MNIST). */
export function inputSizeOf(spec: TrainSpec): number {
  return isSequentialSpec(spec) ? shapeSize(spec.inputShape) : spec.inputSize;
}

/** Output classes (the final softmax's width). */
export function classesOf(spec: TrainSpec): number {
  return isSequentialSpec(spec) ? shapeSize(sequentialLayout(spec).outputShape) : spec.classes;
}

export function sameTrainSpec(a: TrainSpec, b: TrainSpec): boolean {
  if (isSequentialSpec(a) !== isSequentialSpec(b)) return false;
  if (!isSequentialSpec(a)) return sameSpec(a, b as ModelSpec);
  // Layer names only label the weights; everything else shapes the training.
  const unnamed = (s: SequentialSpec) =>
    JSON.stringify({
      inputShape: s.inputShape,
      layers: s.layers.map(({ name: _, ...layer }) => layer),
    });
  return unnamed(a) === unnamed(b as SequentialSpec);
}

/** One layer in a line, Keras-style: `Conv2D(32, 3×3, relu)`, `MaxPooling2D(2×2)`, `Dense(10, softmax)`. */
export function describeLayer(layer: LayerSpec): string {
  const cls = kerasClass(layer.kind);
  const act = (a: string) => (a === "linear" ? "" : `, ${a}`);
  switch (layer.kind) {
    case "conv2d": {
      const [kh, kw] = layer.kernelSize;
      const [sh, sw] = layer.strides;
      const strides = sh === 1 && sw === 1 ? "" : `, strides ${sh}×${sw}`;
      const padding = layer.padding === "same" ? ", same" : "";
      return `${cls}(${layer.filters}, ${kh}×${kw}${strides}${padding}${act(layer.activation)})`;
    }
    case "maxPooling2d":
      return `${cls}(${layer.poolSize.join("×")})`;
    case "dense":
      return `${cls}(${layer.units}${act(layer.activation)})`;
    case "dropout":
      return `${cls}(${layer.rate})`;
    case "reshape":
      return `${cls}(${layer.targetShape.join("×")})`;
    case "flatten":
      return cls;
  }
}

/**
 * Why a checked Sequential spec cannot be trained, or undefined when it can: training
 * minimises categorical cross-entropy, fused with the last layer's softmax.
 */
export function untrainableReason(spec: SequentialSpec): string | undefined {
  const last = spec.layers[spec.layers.length - 1];
  if (last.kind === "dense" && last.activation === "softmax") return undefined;
  return `the last layer must be a Dense with softmax activation (training minimises categorical cross-entropy), got ${describeLayer(last)}`;
}

/** `784→512→10` for a Dense stack; `28×28×1 → Conv2D(32, 3×3, relu) → … → Dense(10, softmax)` otherwise. */
export function describeTrainSpec(spec: TrainSpec): string {
  if (!isSequentialSpec(spec)) return describeSpec(spec);
  return [spec.inputShape.join("×"), ...spec.layers.map(describeLayer)].join(" → ");
}
