import { describe, expect, test } from "bun:test";
import type { DashboardEvent } from "../../src/dashboard/events.ts";
import { formatMetric, metricPairs } from "../../src/dashboard/metric-series.ts";
import { RunState } from "../../src/dashboard/run-state.ts";

describe("metricPairs", () => {
  test("shardfit's trainLoss/testAccuracy names", () => {
    expect(
      metricPairs({
        epoch: 1,
        trainLoss: 0.3,
        trainAccuracy: 0.9,
        testLoss: 0.2,
        testAccuracy: 0.95,
        trainSeconds: 4,
        liveTensors: [3],
      }),
    ).toEqual([
      { name: "loss", train: 0.3, test: 0.2 },
      { name: "accuracy", train: 0.9, test: 0.95 },
    ]);
  });

  test("Keras's names with a test object or val_ keys; loss first", () => {
    expect(metricPairs({ epoch: 2, mae: 2.5, loss: 11, test: { loss: 12, mae: 2.7 } })).toEqual([
      { name: "loss", train: 11, test: 12 },
      { name: "mae", train: 2.5, test: 2.7 },
    ]);
    expect(metricPairs({ loss: 1, val_loss: 2, auc: 0.8 })).toEqual([
      { name: "loss", train: 1, test: 2 },
      { name: "auc", train: 0.8 },
    ]);
  });

  test("accuracies as percentages, the rest to four decimals", () => {
    expect(formatMetric("accuracy", 0.97812)).toBe("97.81%");
    expect(formatMetric("sparse_categorical_accuracy", 0.5)).toBe("50.00%");
    expect(formatMetric("mae", 2.71826)).toBe("2.7183");
    expect(formatMetric("mae", undefined)).toBe("–");
  });
});

describe("RunState with the metrics a run compiled", () => {
  test("the timeline names every test metric; a regressor's evaluation is kept", () => {
    const run = new RunState();
    const metrics = {
      epoch: 1,
      loss: 20.5,
      mae: 3.25,
      test: { loss: 22, mae: 3.5 },
      trainSeconds: 1,
    };
    run.apply({ seq: 1, time: 0, event: { type: "epoch", metrics } as unknown as DashboardEvent });
    expect(run.timeline.at(-1)?.text).toBe("epoch 1: test mae 3.5000, loss 22.0000 (1.0 s)");
    const regression = {
      type: "regressionEvaluation" as const,
      truth: [1, 2],
      predicted: [1.5, 2],
    };
    run.apply({ seq: 2, time: 1, event: regression });
    expect(run.regression).toEqual(regression);
  });
});
