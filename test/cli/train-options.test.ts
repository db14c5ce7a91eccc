import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/cli/args.ts";
import { parseTrainArgs } from "../../src/cli/train-options.ts";

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
