import { describe, expect, test } from "bun:test";
import {
  EARLY_STOPPING_START,
  type EarlyStoppingOptions,
  earlyStoppingStep,
} from "../../../src/train/callbacks/early-stopping.ts";
import { EpochCallbacks, epochLogs } from "../../../src/train/callbacks/index.ts";
import { isImprovement, monitorMode } from "../../../src/train/callbacks/monitor.ts";
import {
  KERAS_REDUCE_LR_ON_PLATEAU,
  reduceLrStart,
  reduceLrStep,
} from "../../../src/train/callbacks/reduce-lr-on-plateau.ts";
import { SAVE_BEST_START, saveBestStep } from "../../../src/train/callbacks/save-best.ts";

/** The epochs (0-based) at which a callback fed `values` of val_loss says to stop. */
function stopsAt(options: EarlyStoppingOptions, values: number[]): number | undefined {
  let state = EARLY_STOPPING_START;
  for (const [epoch, value] of values.entries()) {
    const step = earlyStoppingStep(options, state, epoch, { val_loss: value });
    state = step.state;
    if (step.decision.stop) return epoch;
  }
  return undefined;
}

const early = (patience: number, minDelta = 0): EarlyStoppingOptions => ({
  monitor: "val_loss",
  patience,
  minDelta,
  restoreBestWeights: true,
});

describe("the monitor", () => {
  test("Keras's auto mode: accuracies go up, losses down", () => {
    expect(monitorMode("val_accuracy")).toBe("max");
    expect(monitorMode("accuracy")).toBe("max");
    expect(monitorMode("val_loss")).toBe("min");
    expect(monitorMode("loss")).toBe("min");
  });

  test("an improvement beats the best by more than min_delta; NaN never improves", () => {
    expect(isImprovement("min", 0.5, null)).toBe(true);
    expect(isImprovement("min", 0.5, 0.6, 0.05)).toBe(true);
    expect(isImprovement("min", 0.56, 0.6, 0.05)).toBe(false);
    expect(isImprovement("max", 0.9, 0.8, 0.05)).toBe(true);
    expect(isImprovement("max", 0.84, 0.8, 0.05)).toBe(false);
    expect(isImprovement("min", Number.NaN, 1)).toBe(false);
  });
});

describe("early stopping (Keras's EarlyStopping)", () => {
  test("stops after `patience` epochs without an improvement", () => {
    // Best at epoch 2; epochs 3 and 4 are worse: patience 2 stops at 4.
    expect(stopsAt(early(2), [1, 0.8, 0.7, 0.75, 0.71, 0.6])).toBe(4);
    expect(stopsAt(early(3), [1, 0.8, 0.7, 0.75, 0.71, 0.6])).toBeUndefined();
    // An improvement resets the count.
    expect(stopsAt(early(2), [1, 1.1, 0.9, 1.0, 0.8, 0.9, 0.95])).toBe(6);
  });

  test("min_delta: smaller gains do not count", () => {
    expect(stopsAt(early(2, 0.05), [1, 0.97, 0.95, 0.94])).toBe(2);
    expect(stopsAt(early(2, 0.01), [1, 0.97, 0.95, 0.94])).toBeUndefined();
  });

  test("patience 0 stops at the first epoch without an improvement, never at the first", () => {
    expect(stopsAt(early(0), [1, 0.9, 0.95])).toBe(2);
    expect(stopsAt(early(0), [Number.NaN])).toBeUndefined();
  });

  test("a missing monitor is an error naming what the logs have", () => {
    expect(() => earlyStoppingStep(early(1), EARLY_STOPPING_START, 0, { loss: 1 })).toThrow(
      "early stopping: monitors val_loss, which the epoch's logs lack (they have loss)",
    );
  });
});

describe("save best (ModelCheckpoint save_best_only)", () => {
  test("the best epoch strictly, with no min_delta", () => {
    let state = SAVE_BEST_START;
    const improved = [0.5, 0.6, 0.7, 0.7, 0.65].map((value, epoch) => {
      const step = saveBestStep("val_accuracy", state, epoch, { val_accuracy: value });
      state = step.state;
      return step.improved;
    });
    expect(improved).toEqual([true, true, true, false, false]);
    expect(state).toEqual({ best: 0.7, bestEpoch: 2 });
  });
});

describe("reduce on plateau (Keras's ReduceLROnPlateau)", () => {
  const options = { ...KERAS_REDUCE_LR_ON_PLATEAU, monitor: "val_loss", patience: 2, cooldown: 1 };
  test("multiplies by factor after patience, then cools down; never below min_lr", () => {
    let state = reduceLrStart(0.1);
    const rates = [1, 0.9, 0.95, 0.92, 0.93, 0.94, 0.96, 0.97].map((value) => {
      state = reduceLrStep({ ...options, minLr: 0.005 }, state, { val_loss: value });
      return state.learningRate;
    });
    // Epochs 2 and 3 do not improve on 0.9: reduced after 3. Keras counts the cooldown down
    // before it asks again, so epoch 4 already waits, 5 reduces (to min_lr), and at min_lr
    // nothing more happens.
    expect(rates.map((r) => Number(r.toPrecision(6)))).toEqual([
      0.1, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005,
    ]);
  });
});

describe("EpochCallbacks", () => {
  const params = (epoch: number) => () => Float32Array.of(epoch, epoch);

  test("stops, restores early stopping's best and saves save-best's", () => {
    const callbacks = new EpochCallbacks(
      { earlyStopping: early(1), saveBest: { monitor: "val_loss" } },
      0.001,
    );
    const losses = [1, 0.5, 0.6];
    const stops = losses.map((l, e) => callbacks.onEpochEnd(e, { val_loss: l }, params(e)).stop);
    expect(stops).toEqual([false, false, true]);
    const outcome = callbacks.outcome(2, Float32Array.of(2, 2));
    expect(outcome.stop).toEqual({
      reason: "early stopping",
      epoch: 3,
      monitor: "val_loss",
      patience: 1,
      best: 0.5,
      bestEpoch: 2,
    });
    expect(outcome.kept).toMatchObject({ epoch: 2, reason: "restore best weights" });
    expect([...outcome.kept.params]).toEqual([1, 1]);
    expect(outcome.saved).toMatchObject({ epoch: 2, reason: "save best" });
  });

  test("a run that ends on its epochs keeps the last weights (Keras restores only on a stop)", () => {
    const callbacks = new EpochCallbacks({ earlyStopping: early(5) }, 0.001);
    for (const [e, l] of [1, 0.5, 0.6].entries())
      callbacks.onEpochEnd(e, { val_loss: l }, params(e));
    const outcome = callbacks.outcome(2, Float32Array.of(2, 2));
    expect(outcome.stop).toEqual({ reason: "epochs", epoch: 3 });
    expect(outcome.kept).toMatchObject({ epoch: 3, reason: "last epoch" });
    expect(outcome.saved.epoch).toBe(3);
  });

  test("resumed from its state and copies, it decides as the uninterrupted one", () => {
    const config = { earlyStopping: early(2) };
    const losses = [1, 0.5, 0.6, 0.7, 0.4];
    const whole = new EpochCallbacks(config, 0.001);
    const wholeStops = losses.map((l, e) => whole.onEpochEnd(e, { val_loss: l }, params(e)));
    const first = new EpochCallbacks(config, 0.001);
    for (const [e, l] of losses.slice(0, 2).entries())
      first.onEpochEnd(e, { val_loss: l }, params(e));
    const saved = JSON.parse(JSON.stringify(first.state().states));
    const resumed = new EpochCallbacks(config, 0.001, {
      states: saved,
      copies: first.state().copies,
    });
    const resumedStops = losses
      .slice(2)
      .map((l, i) => resumed.onEpochEnd(i + 2, { val_loss: l }, params(i + 2)));
    expect([{ stop: false }, { stop: false }, ...resumedStops]).toEqual(wholeStops);
    expect(resumed.outcome(3, Float32Array.of(3, 3))).toEqual(
      whole.outcome(3, Float32Array.of(3, 3)),
    );
  });

  test("reduce on plateau: the decision carries the reduced rate, the state the current one", () => {
    const plateau = {
      monitor: "loss",
      factor: 0.5,
      patience: 1,
      minDelta: 0,
      cooldown: 0,
      minLr: 0,
    };
    const callbacks = new EpochCallbacks({ reduceLrOnPlateau: plateau }, 0.1);
    const decisions = [1, 2, 0.5, 0.6].map((l, e) =>
      callbacks.onEpochEnd(e, { loss: l }, params(e)),
    );
    expect(decisions).toEqual([
      { stop: false },
      { stop: false, learningRate: 0.05 },
      { stop: false },
      { stop: false, learningRate: 0.025 },
    ]);
    expect(callbacks.learningRate).toBe(0.025);
    const resumed = new EpochCallbacks({ reduceLrOnPlateau: plateau }, 0.1, {
      states: JSON.parse(JSON.stringify(callbacks.state().states)),
      copies: new Map(),
    });
    expect(resumed.learningRate).toBe(0.025);
  });

  test("logs carry Keras's names", () => {
    expect(epochLogs({ trainLoss: 1, trainAccuracy: 0.5, valLoss: 2, valAccuracy: 0.25 })).toEqual({
      loss: 1,
      accuracy: 0.5,
      val_loss: 2,
      val_accuracy: 0.25,
    });
    expect(epochLogs({ trainLoss: 1, trainAccuracy: 0.5 })).toEqual({ loss: 1, accuracy: 0.5 });
  });
});
