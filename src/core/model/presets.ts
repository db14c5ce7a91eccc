import type { ActivationName } from "./activations.ts";
import { conv2d, dense, flatten, type ModelSpec, maxPooling2d, sameSpec } from "./sequential.ts";

/**
 * The two networks of "Deep Learning with Python": `--model mlp` (ch. 2, shardfit's default;
 * `--hidden` sets its widths) and `--model convnet` (ch. 5, 93,322 parameters). Both use
 * Keras's defaults: glorot-uniform kernels and zero biases.
 */

/** The MLP's hidden widths unless `--hidden` says otherwise. */
export const DEFAULT_HIDDEN: readonly number[] = [512];

/** ReLU Dense layers of the given widths, then a Dense of `classes` outputs (softmax). */
export function mlpSpec(
  hidden: readonly number[] = DEFAULT_HIDDEN,
  inputSize = 784,
  classes = 10,
  output: ActivationName = "softmax",
): ModelSpec {
  return {
    inputShape: [inputSize],
    layers: [
      ...hidden.map((units) => dense(units, { activation: "relu" })),
      dense(classes, { activation: output }),
    ],
  } satisfies ModelSpec;
}

/** shardfit's default model, 784→512→10. */
export const DEFAULT_SPEC: ModelSpec = mlpSpec();

/** `[inputs, …hidden, classes]` of a spec that is an {@link mlpSpec}, else undefined. */
export function mlpWidths(spec: ModelSpec): number[] | undefined {
  const units = spec.layers.map((layer) => (layer.kind === "dense" ? layer.units : 0));
  const [inputSize] = spec.inputShape;
  if (spec.inputShape.length !== 1 || units.includes(0)) return undefined;
  const mlp = mlpSpec(units.slice(0, -1), inputSize, units[units.length - 1]);
  return sameSpec(spec, mlp) ? [inputSize, ...units] : undefined;
}

/** Conv(32)–pool–Conv(64)–pool–Conv(64)–Dense(64)–Dense(10) on 28×28×1 images. */
export const CONVNET_SPEC: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    conv2d(32, 3, { activation: "relu" }),
    maxPooling2d(2),
    conv2d(64, 3, { activation: "relu" }),
    maxPooling2d(2),
    conv2d(64, 3, { activation: "relu" }),
    flatten(),
    dense(64, { activation: "relu" }),
    dense(10, { activation: "softmax" }),
  ],
};
