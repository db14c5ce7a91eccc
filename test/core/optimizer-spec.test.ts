import { describe, expect, test } from "bun:test";
import {
  type CheckpointState,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../../src/core/checkpoint-format.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { parameterCount } from "../../src/core/model/sequential.ts";
import { optimizerFor } from "../../src/core/optim/optimizer.ts";
import {
  checkOptimizerSpec,
  KERAS_OPTIMIZERS,
  OptimizerSpecError,
  resolveOptimizer,
} from "../../src/core/optim/spec.ts";

describe("resolveOptimizer: a caller's choice with Keras's defaults", () => {
  test("RMSprop unless named; each name gets Keras's defaults", () => {
    expect(resolveOptimizer()).toEqual({
      type: "rmsprop",
      learningRate: 1e-3,
      rho: 0.9,
      epsilon: 1e-7,
    });
    expect(resolveOptimizer({ optimizer: "adam" })).toEqual({
      type: "adam",
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(resolveOptimizer({ optimizer: "adamw" })).toEqual({
      type: "adamw",
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0.004,
    });
    expect(resolveOptimizer({ optimizer: "sgd" })).toEqual({
      type: "sgd",
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
    });
    expect(resolveOptimizer({ optimizer: "adagrad" })).toEqual({
      type: "adagrad",
      learningRate: 1e-3,
      initialAccumulatorValue: 0.1,
      epsilon: 1e-7,
    });
  });

  test("settings beside the name override the object's, which override the defaults", () => {
    expect(
      resolveOptimizer({ optimizer: { type: "sgd", momentum: 0.5 }, learningRate: 0.1 }),
    ).toEqual({ type: "sgd", learningRate: 0.1, momentum: 0.5, nesterov: false });
    expect(resolveOptimizer({ optimizer: { type: "adam", beta1: 0.5 }, beta1: 0.8 })).toMatchObject(
      { beta1: 0.8, beta2: 0.999 },
    );
  });

  test.each([
    [{ optimizer: "adam", beta1: 1.5 }, "adam.beta1: expected a number in [0, 1), got 1.5"],
    [{ optimizer: "adam", beta2: 1 }, "adam.beta2: expected a number in [0, 1), got 1"],
    [{ optimizer: "adamw", weightDecay: -1 }, "adamw.weightDecay: expected a number ≥ 0, got -1"],
    [{ optimizer: "sgd", momentum: 1.5 }, "sgd.momentum: expected a number in [0, 1], got 1.5"],
    [{ optimizer: "sgd", nesterov: "yes" }, 'sgd.nesterov: expected true or false, got "yes"'],
    [{ learningRate: 0 }, "rmsprop.learningRate: expected a positive number, got 0"],
    [
      { optimizer: "adagrad", learningRate: Number.POSITIVE_INFINITY },
      "adagrad.learningRate: expected a positive number, got Infinity",
    ],
    [
      { optimizer: "adagrad", epsilon: Number.NaN },
      "adagrad.epsilon: expected a positive number, got NaN",
    ],
    [
      { optimizer: "sgd", beta1: 0.9 },
      'sgd: unexpected field "beta1"; expected "learningRate" or "momentum" or "nesterov"',
    ],
    [
      { optimizer: "adamax" },
      'optimizer: expected one of "rmsprop", "adam", "adamw", "sgd", "adagrad", got "adamax"',
    ],
  ])("%j is refused: %s", (options, message) => {
    const resolve = () => resolveOptimizer(options as never);
    expect(resolve).toThrow(OptimizerSpecError);
    expect(resolve).toThrow(message);
  });

  test("checkOptimizerSpec takes a complete spec only", () => {
    expect(checkOptimizerSpec(KERAS_OPTIMIZERS.adamw)).toEqual(KERAS_OPTIMIZERS.adamw);
    expect(() => checkOptimizerSpec({ type: "adam", learningRate: 0.1 })).toThrow(
      "adam.beta1: expected a number in [0, 1), got nothing (the field is missing)",
    );
    expect(() => checkOptimizerSpec("adam")).toThrow(
      'optimizer: expected an object {type, …}, got string "adam"',
    );
  });
});

describe("checkpoints of every optimizer", () => {
  const spec = mlpSpec([4], 6, 3);
  const n = parameterCount(spec);
  const ramp = (scale: number) => Float32Array.from({ length: n }, (_, i) => scale * (i + 1));
  const adam = { ...KERAS_OPTIMIZERS.adam, learningRate: 0.01 };
  const expectations = { spec, batchSize: 32, optimizer: adam, seed: 7, trainSamples: 384 };
  const state: CheckpointState = {
    checkpoint: {
      format: "shardfit-checkpoint",
      version: 2,
      spec,
      epoch: 2,
      stepsDone: 24,
      rng: { seed: 7, nextEpoch: 2 },
      batchSize: 32,
      optimizer: adam,
      optimizerState: [...optimizerFor(adam).stateNames],
      workers: 2,
      trainSamples: 384,
      history: [],
      stateChecksum: "",
    },
    params: ramp(0.5),
    optimizerState: [ramp(0.25), ramp(0.125)],
  };

  test("Adam's two moments, its settings and the step count round-trip", () => {
    const files = encodeCheckpoint(state);
    expect(files.state.length).toBe(3 * 4 * n);
    const back = decodeCheckpoint(files.json, files.state, expectations);
    expect(back.optimizerState).toEqual(state.optimizerState);
    expect(back.checkpoint.optimizer).toEqual(adam);
    expect(back.checkpoint.optimizerState).toEqual(["momentum", "velocity"]);
    expect(back.checkpoint.stepsDone).toBe(24);
  });

  test.each([
    [{ ...adam, beta1: 0.8 }, "checkpoint.json: beta1 is 0.9 in the checkpoint, 0.8 in this run"],
    [
      KERAS_OPTIMIZERS.adamw,
      "checkpoint.json: optimizer is adam in the checkpoint, adamw in this run",
    ],
  ])("a resume with other optimizer settings is refused (%j)", (optimizer, message) => {
    const files = encodeCheckpoint(state);
    expect(() => decodeCheckpoint(files.json, files.state, { ...expectations, optimizer })).toThrow(
      message,
    );
  });

  test("an optimizer the schema does not know is refused, naming the field", () => {
    const files = encodeCheckpoint(state);
    const json = JSON.stringify({ ...JSON.parse(files.json), optimizer: { ...adam, beta2: 2 } });
    expect(() => decodeCheckpoint(json, files.state, expectations)).toThrow(
      "checkpoint.json: optimizer.beta2: expected a number in [0, 1), got 2",
    );
  });
});
