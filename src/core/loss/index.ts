/**
 * Keras's losses by name, and the fused forms a step uses when the last layer's activation
 * matches (see loss.ts for the buffers and the reduction every loss shares).
 */
import type { ActivationName } from "../model/activations.ts";
import { binaryCrossentropy } from "./binary-crossentropy.ts";
import { categoricalCrossentropy } from "./categorical-crossentropy.ts";
import { huber } from "./huber.ts";
import { type FusedLoss, LOSS_NAMES, type Loss, type LossName } from "./loss.ts";
import { meanAbsoluteError } from "./mae.ts";
import { meanSquaredError } from "./mse.ts";
import { sigmoidBinaryCrossentropy } from "./sigmoid-crossentropy.ts";
import {
  softmaxCategoricalCrossentropy,
  softmaxSparseCategoricalCrossentropy,
} from "./softmax-crossentropy.ts";
import { sparseCategoricalCrossentropy } from "./sparse-categorical-crossentropy.ts";

export * from "./default-choice.ts";
export * from "./loss.ts";

const LOSSES: Readonly<Record<LossName, Loss>> = {
  categorical_crossentropy: categoricalCrossentropy,
  sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  binary_crossentropy: binaryCrossentropy,
  mse: meanSquaredError,
  mae: meanAbsoluteError,
  huber,
};

/** Keras's other spellings of the same losses. */
const ALIASES: Readonly<Record<string, LossName>> = {
  mean_squared_error: "mse",
  mean_absolute_error: "mae",
};

/** The loss Keras calls `name` (or an alias of it); throws listing the valid names. */
export function lossByName(name: string): Loss {
  const canonical = Object.hasOwn(LOSSES, name)
    ? (name as LossName)
    : Object.hasOwn(ALIASES, name)
      ? ALIASES[name]
      : undefined;
  if (!canonical) {
    const valid = [...LOSS_NAMES, ...Object.keys(ALIASES)].join(", ");
    throw new Error(`unknown loss ${JSON.stringify(name)}: expected one of ${valid}`);
  }
  return LOSSES[canonical];
}

/**
 * The fused form of `loss` after a last layer with `activation` — softmax with a categorical
 * cross-entropy, sigmoid with the binary one — or undefined when they do not fuse (the step then
 * applies the activation, the loss on its outputs and the activation's backward).
 */
export function fusedLoss(loss: LossName, activation: ActivationName): FusedLoss | undefined {
  if (activation === "softmax" && loss === "categorical_crossentropy") {
    return softmaxCategoricalCrossentropy;
  }
  if (activation === "softmax" && loss === "sparse_categorical_crossentropy") {
    return softmaxSparseCategoricalCrossentropy;
  }
  if (activation === "sigmoid" && loss === "binary_crossentropy") return sigmoidBinaryCrossentropy;
  return undefined;
}
