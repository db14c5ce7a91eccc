import type { LossName } from "./loss.ts";

/** What the training targets are, as the data loader found them. */
export type TargetKind =
  /** One integer class index in [0, classes) per sample. */
  | { readonly kind: "class-indices"; readonly classes: number }
  /** One row of `classes` values per sample, a single 1 in each. */
  | { readonly kind: "one-hot"; readonly classes: number }
  /** One row of `labels` 0/1 values per sample, any number of them 1. */
  | { readonly kind: "multi-label"; readonly labels: number }
  /** One row of `outputs` real numbers per sample. */
  | { readonly kind: "numbers"; readonly outputs: number };

/** How to train for targets of some kind when the user names no loss: "the data decides". */
export interface TrainingChoice {
  readonly loss: LossName;
  readonly activation: "softmax" | "sigmoid" | "linear";
  /** The last layer's width. */
  readonly units: number;
  /**
   * How the step lays the targets out for the loss: a two-class problem's class indices are
   * already its 0/1 rows of one unit.
   */
  readonly targets: "rows" | "class-indices";
  /** The metrics to report (Keras names, which are also the history keys). */
  readonly metrics: readonly string[];
  /** One line for the run to print. */
  readonly description: string;
}

/**
 * Class indices → softmax + sparse_categorical_crossentropy (two classes: one sigmoid output +
 * binary_crossentropy); one-hot rows → softmax + categorical_crossentropy; multi-label rows →
 * sigmoid + binary_crossentropy; numbers → linear + mse. Classification reports accuracy
 * (binary_accuracy for multi-label rows), regression mae.
 */
export function defaultTraining(targets: TargetKind): TrainingChoice {
  switch (targets.kind) {
    case "class-indices": {
      const classes = count("classes", targets.classes, 2);
      if (classes === 2) {
        return choice(
          "binary_crossentropy",
          "sigmoid",
          1,
          "rows",
          ["accuracy"],
          "2 classes (class indices 0/1)",
        );
      }
      return choice(
        "sparse_categorical_crossentropy",
        "softmax",
        classes,
        "class-indices",
        ["accuracy"],
        `${classes} classes (class indices)`,
      );
    }
    case "one-hot": {
      const classes = count("classes", targets.classes, 2);
      return choice(
        "categorical_crossentropy",
        "softmax",
        classes,
        "rows",
        ["accuracy"],
        `${classes} classes (one-hot rows)`,
      );
    }
    case "multi-label": {
      const labels = count("labels", targets.labels, 1);
      return choice(
        "binary_crossentropy",
        "sigmoid",
        labels,
        "rows",
        // Keras would resolve "accuracy" by shape to categorical_accuracy here.
        ["binary_accuracy"],
        `${labels} independent 0/1 labels`,
      );
    }
    case "numbers": {
      const outputs = count("outputs", targets.outputs, 1);
      return choice(
        "mse",
        "linear",
        outputs,
        "rows",
        ["mae"],
        `${outputs} real-valued ${outputs === 1 ? "target" : "targets"}`,
      );
    }
  }
}

function count(what: string, value: number, least: number): number {
  if (!Number.isInteger(value) || value < least) {
    throw new Error(`targets: expected at least ${least} ${what}, got ${value}`);
  }
  return value;
}

function choice(
  loss: LossName,
  activation: TrainingChoice["activation"],
  units: number,
  targets: TrainingChoice["targets"],
  metrics: readonly string[],
  data: string,
): TrainingChoice {
  const output = `${units} ${activation} ${units === 1 ? "output" : "outputs"}`;
  const trained = `loss ${loss}, metrics ${metrics.join(", ")}`;
  const description = `the data decides: ${data} → ${output}, ${trained}`;
  return { loss, activation, units, targets, metrics, description };
}
