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
  ])("%p is a UsageError naming the flag", (argv, message) => {
    expect(() => parseTrainArgs(argv)).toThrow(UsageError);
    expect(() => parseTrainArgs(argv)).toThrow(message);
  });
});
