import type { ActivationName } from "../model/activations.ts";
import { fusedLoss, lossByName } from "./index.ts";
import type { Loss, LossName } from "./loss.ts";

/**
 * The loss at a model's output as a training step runs it: on one batch of the last layer's
 * outputs, `capacity × units`, against target rows of the same shape (class indices arrive as
 * one-hot rows: sparse categorical cross-entropy on indices is categorical cross-entropy on
 * their one-hot rows, value and gradient). When the last layer's activation fuses with the
 * loss (softmax + a categorical cross-entropy, sigmoid + the binary one), the step leaves the
 * activation to the loss and hands it the logits; otherwise the step applies the activation
 * and the loss reads its outputs.
 */
export interface OutputLoss {
  readonly loss: LossName;
  /** The activation the step applies to the last layer: "linear" when the loss fuses it. */
  readonly stepActivation: ActivationName;
  /** Whether the loss is a cross-entropy, so "accuracy" means something. */
  readonly classification: boolean;
  /**
   * Σ weights[r]·ℓᵣ over the batch; writes ∂(Σ w·ℓ)/∂outputs into `gradient` when given.
   * Then `predictions` holds the model's predictions for these outputs.
   */
  evaluate(outputs: Float32Array, batch: OutputBatch, gradient?: Float32Array): number;
  /**
   * The model's predictions (the fused activation applied) for the outputs last evaluated,
   * `outputs` itself when nothing is fused; valid until the next call.
   */
  predictions(outputs: Float32Array): Float32Array;
}

export interface OutputBatch {
  /** `capacity × units` target rows. */
  readonly y: Float32Array;
  /** Per-row loss weights (1/B of the global batch for real rows, 0 for padding). */
  readonly weights: Float32Array;
}

/** The cross-entropies: losses of classification, whose "accuracy" means something. */
export const CLASSIFICATION: readonly LossName[] = [
  "categorical_crossentropy",
  "sparse_categorical_crossentropy",
  "binary_crossentropy",
];

/** Last-layer activations whose outputs are probabilities, as the cross-entropies need. */
const PROBABILITIES: readonly ActivationName[] = ["softmax", "sigmoid"];

/**
 * Why `loss` cannot train a model whose last layer has `activation` and `units` outputs, or
 * undefined when it can: a cross-entropy needs probabilities (a softmax or sigmoid output),
 * a categorical one at least two of them.
 */
export function untrainableOutput(
  loss: LossName,
  activation: ActivationName,
  units: number,
): string | undefined {
  if (!CLASSIFICATION.includes(loss)) return undefined;
  if (!PROBABILITIES.includes(activation)) {
    return `loss ${loss} needs probabilities: the last layer's activation must be softmax or sigmoid, got ${activation}`;
  }
  if (loss !== "binary_crossentropy" && units < 2) {
    return `loss ${loss} needs at least 2 output units (one per class), the last layer has ${units} (use binary_crossentropy with 1 sigmoid unit)`;
  }
  return undefined;
}

/**
 * The loss a model trains with when none is named: categorical cross-entropy after a softmax
 * (shardfit's loss before losses were configurable), binary after a sigmoid, else mse.
 */
export function lossForActivation(activation: ActivationName): LossName {
  if (activation === "softmax") return "categorical_crossentropy";
  if (activation === "sigmoid") return "binary_crossentropy";
  return "mse";
}

/** The step's loss for `loss` after a last layer of `activation` with `units` outputs. */
export function outputLoss(loss: LossName, activation: ActivationName, units: number): OutputLoss {
  const reason = untrainableOutput(loss, activation, units);
  if (reason) throw new Error(reason);
  // Target rows: the sparse loss's class indices are one-hot rows here (see above).
  const onRows: LossName =
    loss === "sparse_categorical_crossentropy" ? "categorical_crossentropy" : loss;
  const fused = fusedLoss(onRows, activation);
  const fn: Loss = fused ?? lossByName(onRows);
  let probabilities = new Float32Array(0);
  const activated = (outputs: Float32Array): Float32Array => {
    if (!fused) return outputs;
    if (probabilities.length !== outputs.length) probabilities = new Float32Array(outputs.length);
    return probabilities;
  };
  return {
    loss,
    stepActivation: fused ? "linear" : activation,
    classification: CLASSIFICATION.includes(loss),
    evaluate(outputs, batch, gradient) {
      const input = { predictions: outputs, targets: batch.y, units, weights: batch.weights };
      return fn.evaluate(input, {
        ...(gradient ? { gradient } : {}),
        ...(fused ? { activations: activated(outputs) } : {}),
      });
    },
    predictions: activated,
  };
}
