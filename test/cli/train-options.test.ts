import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/cli/args.ts";
import { parseTrainArgs } from "../../src/cli/train-options.ts";
import { resolveTrainConfig } from "../../src/train/config.ts";

describe("parseTrainArgs", () => {
  test("maps flags to train() options", () => {
    const cli = parseTrainArgs([
      "--workers",
      "3",
      "--batch-size",
      "96",
      "--lr",
      "0.01",
      "--hidden",
      "256,128",
      "--out",
      "m",
      "--resume",
      "--json",
    ]);
    expect(cli.json).toBe(true);
    expect(cli.options).toMatchObject({
      workers: 3,
      batchSize: 96,
      learningRate: 0.01,
      hidden: [256, 128],
      out: "m",
      resume: true,
    });
  });

  test("--optimizer and --loss name Keras's optimizers and losses", () => {
    const cli = parseTrainArgs([
      ...["--optimizer", "adam", "--loss", "mean_squared_error", "--metrics", "mae, mse"],
    ]);
    expect(cli.options).toMatchObject({
      optimizer: "adam",
      loss: "mean_squared_error",
      metrics: ["mae", "mse"],
    });
  });

  test("an empty --hidden means no hidden layer", () => {
    expect(parseTrainArgs(["--hidden", ""]).options.hidden).toEqual([]);
  });

  test.each([
    [["--workers", "65"], '--workers: expected an integer from 1 to 64, got "65"'],
    [["--epochs", "two"], '--epochs: expected an integer from 1 to 10000, got "two"'],
    [["--seed", ""], '--seed: expected an integer from -2147483648 to 2147483647, got ""'],
    [
      ["--hidden", "64,,32"],
      '--hidden: expected positive integers separated by commas, got "64,,32"',
    ],
    [
      ["--workers", "8", "--batch-size", "4"],
      '--batch-size: expected an integer from 8 to 65536, got "4"',
    ],
    [
      ["--optimizer", "adamax"],
      '--optimizer: expected one of "rmsprop", "adam", "adamw", "sgd", "adagrad", got "adamax"',
    ],
    [
      ["--loss", "hinge"],
      '--loss: expected one of categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae, huber, mean_squared_error, mean_absolute_error, got "hinge"',
    ],
  ])("%p is a UsageError naming the flag", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe("parseTrainArgs: the optimizer", () => {
  const optimizerOf = (argv: string[]) =>
    resolveTrainConfig({ ...parseTrainArgs(argv).options, workers: 1 }).optimizer;

  test("each optimizer with Keras's defaults, its learning rate the optimizer's", () => {
    expect(optimizerOf([])).toEqual({
      type: "rmsprop",
      learningRate: 0.001,
      rho: 0.9,
      epsilon: 1e-7,
    });
    expect(optimizerOf(["--optimizer", "sgd"])).toEqual({
      type: "sgd",
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
    });
    expect(optimizerOf(["--optimizer", "adagrad"])).toMatchObject({ learningRate: 0.001 });
  });

  test("every setting has its flag", () => {
    expect(optimizerOf(["--optimizer", "rmsprop", "--rho", "0.8", "--epsilon", "1e-6"])).toEqual({
      type: "rmsprop",
      learningRate: 0.001,
      rho: 0.8,
      epsilon: 1e-6,
    });
    const adamw = ["--optimizer", "adamw", "--lr", "0.01", "--beta1", "0.8", "--beta2", "0.99"];
    expect(optimizerOf([...adamw, "--weight-decay", "0.1"])).toEqual({
      type: "adamw",
      learningRate: 0.01,
      beta1: 0.8,
      beta2: 0.99,
      epsilon: 1e-7,
      weightDecay: 0.1,
    });
    expect(optimizerOf(["--optimizer", "sgd", "--momentum", "0.9", "--nesterov"])).toEqual({
      type: "sgd",
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
    });
    expect(optimizerOf(["--optimizer", "adagrad", "--initial-accumulator", "0"])).toMatchObject({
      initialAccumulatorValue: 0,
    });
  });

  test.each([
    [
      ["--optimizer", "adamax"],
      '--optimizer: expected one of "rmsprop", "adam", "adamw", "sgd", "adagrad", got "adamax"',
    ],
    [["--lr", "0"], '--lr: expected a positive number, got "0"'],
    [["--lr", "fast"], '--lr: expected a positive number, got "fast"'],
    [["--rho", "1"], '--rho: expected a number in [0, 1), got "1"'],
    [["--optimizer", "adam", "--beta1", "1.5"], '--beta1: expected a number in [0, 1), got "1.5"'],
    [["--optimizer", "adam", "--beta2=-0.1"], '--beta2: expected a number in [0, 1), got "-0.1"'],
    [["--epsilon", "0"], '--epsilon: expected a positive number, got "0"'],
    [
      ["--optimizer", "adamw", "--weight-decay=-1"],
      '--weight-decay: expected a number ≥ 0, got "-1"',
    ],
    [["--optimizer", "sgd", "--momentum", "2"], '--momentum: expected a number in [0, 1], got "2"'],
    [
      ["--optimizer", "adagrad", "--initial-accumulator=-1"],
      '--initial-accumulator: expected a number ≥ 0, got "-1"',
    ],
    [
      ["--beta1", "0.5"],
      '--beta1: expected no beta1 with optimizer rmsprop (it takes learningRate, rho, epsilon), got "0.5"',
    ],
    [
      ["--optimizer", "adam", "--nesterov"],
      "--nesterov: expected no nesterov with optimizer adam (it takes learningRate, beta1, beta2, epsilon), got the flag",
    ],
  ])("%p is a UsageError naming the flag", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe("parseTrainArgs: schedules, validation and callbacks", () => {
  const configOf = (argv: string[]) =>
    resolveTrainConfig({ ...parseTrainArgs(argv).options, workers: 1 });

  test("--lr-schedule puts the schedule on the optimizer", () => {
    const argv = ["--lr", "0.01", "--lr-schedule", "exponential:decay_steps=100,decay_rate=0.5"];
    expect(configOf(argv).optimizer).toMatchObject({
      learningRate: 0.01,
      schedule: { type: "exponential", decaySteps: 100, decayRate: 0.5, staircase: false },
    });
  });

  test("early stopping monitors val_loss with a validation split, loss without", () => {
    const withSplit = configOf(["--validation-split", "0.1", "--early-stopping", "2"]);
    expect(withSplit.validationSplit).toBe(0.1);
    expect(withSplit.callbacks).toEqual({
      earlyStopping: { monitor: "val_loss", patience: 2, minDelta: 0, restoreBestWeights: false },
    });
    const argv = ["--early-stopping", "0", "--restore-best-weights", "--save-best"];
    expect(configOf([...argv, "--monitor", "accuracy", "--min-delta", "0.01"]).callbacks).toEqual({
      earlyStopping: {
        monitor: "accuracy",
        patience: 0,
        minDelta: 0.01,
        restoreBestWeights: true,
      },
      saveBest: { monitor: "accuracy" },
    });
  });

  test("--reduce-lr-on-plateau: Keras's defaults under the given settings", () => {
    expect(configOf(["--reduce-lr-on-plateau", ""]).callbacks).toEqual({
      reduceLrOnPlateau: {
        monitor: "loss",
        factor: 0.1,
        patience: 10,
        minDelta: 1e-4,
        cooldown: 0,
        minLr: 0,
      },
    });
    const argv = ["--validation-split", "0.2", "--reduce-lr-on-plateau", "factor=0.5,patience=2"];
    expect(
      configOf([...argv, "--reduce-lr-on-plateau", "factor=0.5,patience=2,min_lr=1e-5"]).callbacks,
    ).toMatchObject({
      reduceLrOnPlateau: { monitor: "val_loss", factor: 0.5, patience: 2, minLr: 1e-5 },
    });
  });

  test.each([
    [
      ["--lr-schedule", "exponential:decay_steps=0,decay_rate=0.5"],
      "--lr-schedule: expected a learning-rate schedule (exponential.decay_steps: expected a positive number, got 0)",
    ],
    [["--validation-split", "1"], '--validation-split: expected a fraction in [0, 1), got "1"'],
    [["--early-stopping=-1"], "--early-stopping: expected a patience from 0 to 10000"],
    [
      ["--early-stopping", "2", "--monitor", "val_loss"],
      '--monitor: expected one of loss, accuracy (val_ needs validationSplit), got "val_loss"',
    ],
    [["--min-delta=-1"], '--min-delta: expected a number ≥ 0, got "-1"'],
    [["--restore-best-weights"], "--restore-best-weights: expected true only with earlyStopping"],
    [
      ["--reduce-lr-on-plateau", "factor=2"],
      "--reduce-lr-on-plateau: expected Keras's settings (factor: expected a number in (0, 1), got 2)",
    ],
    [
      ["--reduce-lr-on-plateau", "speed=2"],
      '--reduce-lr-on-plateau: expected Keras\'s settings (unknown setting "speed"',
    ],
    [
      ["--reduce-lr-on-plateau", "", "--lr-schedule", "exponential:decay_steps=9,decay_rate=0.5"],
      "--reduce-lr-on-plateau: expected no lrSchedule beside it",
    ],
  ])("%p is a UsageError naming the flag", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe("parseTrainArgs: the dashboard", () => {
  test("off unless asked for; --dashboard-port implies it; --host sets its address", () => {
    expect(parseTrainArgs([]).options.dashboard).toBeUndefined();
    expect(parseTrainArgs(["--dashboard"]).options.dashboard).toEqual({});
    expect(parseTrainArgs(["--dashboard-port", "8791"]).options.dashboard).toEqual({ port: 8791 });
    expect(parseTrainArgs(["--dashboard", "--host", "0.0.0.0"]).options.dashboard).toEqual({
      hostname: "0.0.0.0",
    });
    // With --listen it shares the listening server.
    expect(parseTrainArgs(["--listen", "0.0.0.0:8790", "--dashboard"]).options.dashboard).toEqual(
      {},
    );
  });

  test.each([
    [
      ["--dashboard-port", "70000"],
      '--dashboard-port: expected an integer from 0 to 65535, got "70000"',
    ],
    [["--host", "0.0.0.0"], "--host: sets the dashboard's address; add --dashboard"],
    [["--dashboard", "--host", ""], '--host: expected a hostname or IP address, got ""'],
    [
      ["--listen", "8790", "--dashboard-port", "8791"],
      "--dashboard-port: with --listen the dashboard is served on the --listen address",
    ],
  ])("%p is a UsageError naming the flag", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});

describe("parseTrainArgs: networked runs", () => {
  test("--listen and --expect-workers; loopback by default", () => {
    expect(parseTrainArgs(["--expect-workers", "3"]).options.remote).toEqual({
      hostname: "127.0.0.1",
      port: 0,
      expectWorkers: 3,
      token: undefined,
      standIns: true,
    });
    expect(parseTrainArgs(["--wait-for-workers"]).options.remote?.standIns).toBe(false);
    expect(parseTrainArgs(["--listen", "0.0.0.0:8790"]).options.remote).toMatchObject({
      hostname: "0.0.0.0",
      port: 8790,
      expectWorkers: 1,
    });
    expect(parseTrainArgs(["--listen", "[::1]:9000"]).options.remote).toMatchObject({
      hostname: "::1",
      port: 9000,
    });
    expect(parseTrainArgs([]).options.remote).toBeUndefined();
  });

  test("the token comes from --token or SHARDFIT_TOKEN", () => {
    const env = { SHARDFIT_TOKEN: "from-the-environment" };
    expect(parseTrainArgs(["--listen", "8790"], env).options.remote?.token).toBe(
      "from-the-environment",
    );
    const flag = ["--listen", "8790", "--token", "a-token-from-the-flag"];
    expect(parseTrainArgs(flag, env).options.remote?.token).toBe("a-token-from-the-flag");
  });

  test.each([
    [["--listen", "host"], '--listen: expected HOST:PORT, e.g. 0.0.0.0:8790, got "host"'],
    [["--listen", "h:99999"], '--listen: expected an integer from 0 to 65535, got "99999"'],
    [["--expect-workers", "0"], '--expect-workers: expected an integer from 1 to 64, got "0"'],
    [["--listen", "1", "--token", "short"], "--token: expected at least 16 characters, got 5"],
  ])("%p is a usage error: %s", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});
