import { describe, expect, test } from "bun:test";
import { KERAS_RMSPROP } from "../../src/core/optim/rmsprop.ts";
import { ConfigError, DEFAULTS, resolveTrainConfig } from "../../src/train/config.ts";
import type { TrainOptions } from "../../src/train/types.ts";

describe("resolveTrainConfig", () => {
  test("fills in the defaults", () => {
    const config = resolveTrainConfig({ workers: 2 });
    expect(config).toMatchObject({
      workers: 2,
      epochs: DEFAULTS.epochs,
      batchSize: DEFAULTS.batchSize,
      seed: DEFAULTS.seed,
      hidden: [...DEFAULTS.hidden],
      out: DEFAULTS.out,
      checkpointDir: `${DEFAULTS.out}.checkpoint`,
      resume: false,
      stepTimeoutMs: DEFAULTS.stepTimeoutMs,
    });
    expect(config.optimizer).toEqual({ type: "rmsprop", ...KERAS_RMSPROP });
  });

  test("the checkpoint sits beside the model, and is off when the model is not saved", () => {
    expect(resolveTrainConfig({ out: "m/x" }).checkpointDir).toBe("m/x.checkpoint");
    expect(resolveTrainConfig({ out: false }).checkpointDir).toBe(false);
    expect(resolveTrainConfig({ out: false, checkpointDir: "c" }).checkpointDir).toBe("c");
  });

  test.each([
    [{ workers: 0 }, "workers", "workers: expected an integer from 1 to 64, got 0"],
    [{ workers: 1.5 }, "workers", "workers: expected an integer from 1 to 64, got 1.5"],
    [{ epochs: 0 }, "epochs", "epochs: expected an integer from 1 to 10000, got 0"],
    [
      { workers: 4, batchSize: 3 },
      "batchSize",
      "batchSize: expected an integer from 4 to 65536, got 3",
    ],
    [{ learningRate: -1 }, "learningRate", "learningRate: expected a positive number, got -1"],
    [{ learningRate: Number.NaN }, "learningRate", "learningRate: expected a positive number"],
    [{ hidden: [512, 0] }, "hidden", "hidden: expected an array of integers from 1 to 16384"],
    [{ seed: 2 ** 40 }, "seed", "seed: expected an integer from -2147483648 to 2147483647"],
    [{ trainLimit: 0 }, "trainLimit", "trainLimit: expected an integer from 1"],
    [
      { dashboard: { port: 70_000 } },
      "dashboard",
      "dashboard: expected a port from 0 to 65535, got 70000",
    ],
    [{ dashboard: { hostname: "" } }, "dashboard", 'dashboard: expected a hostname, got ""'],
    [
      { dashboard: "yes" },
      "dashboard",
      'dashboard: expected true, false or { hostname?, port?, keepOpen? }, got "yes"',
    ],
    [
      { dashboard: { port: 8080 }, remote: { expectWorkers: 1 } },
      "dashboard",
      "dashboard: expected no hostname or port with remote",
    ],
  ] as [TrainOptions, keyof TrainOptions, string][])(
    "%j is a ConfigError naming %s",
    (options, option, message) => {
      let error: unknown;
      try {
        resolveTrainConfig(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
      expect((error as Error).message).toStartWith(message);
    },
  );

  test("dashboard: off by default; true means loopback, a free port, closed with the run", () => {
    expect(resolveTrainConfig({}).dashboard).toBeUndefined();
    expect(resolveTrainConfig({ dashboard: false }).dashboard).toBeUndefined();
    expect(resolveTrainConfig({ dashboard: true }).dashboard).toEqual({
      hostname: "127.0.0.1",
      port: 0,
      keepOpen: false,
    });
    expect(
      resolveTrainConfig({ dashboard: { hostname: "0.0.0.0", port: 8790, keepOpen: true } })
        .dashboard,
    ).toEqual({ hostname: "0.0.0.0", port: 8790, keepOpen: true });
  });
});
