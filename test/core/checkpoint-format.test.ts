import { describe, expect, test } from "bun:test";
import {
  CheckpointError,
  type CheckpointState,
  decodeCheckpoint,
  encodeCheckpoint,
  type ResumeExpectations,
} from "../../src/core/checkpoint-format.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { parameterCount } from "../../src/core/model/sequential.ts";
import { rmsprop } from "../../src/core/optim/optimizer.ts";

const spec = mlpSpec([4], 6, 3);
const n = parameterCount(spec);
const ramp = (scale: number) => Float32Array.from({ length: n }, (_, i) => scale * (i + 1));

const state: CheckpointState = {
  checkpoint: {
    format: "shardfit-checkpoint",
    version: 2,
    spec,
    epoch: 2,
    stepsDone: 24,
    rng: { seed: 7, nextEpoch: 2 },
    batchSize: 32,
    optimizer: rmsprop(),
    optimizerState: ["meanSquare"],
    workers: 2,
    trainSamples: 384,
    history: [],
    stateChecksum: "",
  },
  params: ramp(0.5),
  optimizerState: [ramp(0.25)],
};
const expectations: ResumeExpectations = {
  spec,
  batchSize: 32,
  optimizer: rmsprop(),
  seed: 7,
  trainSamples: 384,
};

describe("checkpoint format", () => {
  test("round-trips weights, named optimizer state and settings", () => {
    const files = encodeCheckpoint(state);
    expect(files.state.length).toBe(2 * 4 * n);
    const back = decodeCheckpoint(files.json, files.state, expectations);
    expect(back.params).toEqual(state.params);
    expect(back.optimizerState).toEqual(state.optimizerState);
    expect(back.checkpoint).toMatchObject({
      epoch: 2,
      stepsDone: 24,
      optimizerState: ["meanSquare"],
    });
    expect(back.checkpoint.stateChecksum).toMatch(/^[0-9a-f]{8}$/);
  });

  test.each([
    [{ seed: 8 }, "checkpoint.json: seed is 7 in the checkpoint, 8 in this run"],
    [{ batchSize: 64 }, "checkpoint.json: batchSize is 32 in the checkpoint, 64 in this run"],
    [
      { optimizer: rmsprop(0.01) },
      "checkpoint.json: learningRate is 0.001 in the checkpoint, 0.01 in this run",
    ],
    [
      { spec: mlpSpec([5], 6, 3) },
      "checkpoint.json: the checkpoint is of a 6→4→3 model, this run trains 6→5→3",
    ],
  ] as const)("another run's settings %j are refused", (change, message) => {
    const files = encodeCheckpoint(state);
    expect(() => decodeCheckpoint(files.json, files.state, { ...expectations, ...change })).toThrow(
      message,
    );
  });

  test("a truncated or altered state file, bad JSON or another version is a CheckpointError", () => {
    const files = encodeCheckpoint(state);
    const decode = (json: string, bytes: Uint8Array) => () =>
      decodeCheckpoint(json, bytes, expectations);
    expect(decode(files.json, files.state.subarray(8))).toThrow(
      `state.bin: expected ${8 * n} bytes (weights and meanSquare of ${n} parameters), got ${8 * n - 8}`,
    );
    const flipped = files.state.slice();
    flipped[3] ^= 1;
    expect(decode(files.json, flipped)).toThrow("state.bin: checksum does not match");
    expect(decode("{", files.state)).toThrow("checkpoint.json: not valid JSON");
    const v1 = JSON.stringify({ ...JSON.parse(files.json), version: 1 });
    expect(decode(v1, files.state)).toThrow(CheckpointError);
    expect(decode(v1, files.state)).toThrow("not a shardfit checkpoint of version 2");
    const noState = JSON.stringify({ ...JSON.parse(files.json), optimizerState: [] });
    expect(decode(noState, files.state)).toThrow(
      "optimizerState is  in the checkpoint, meanSquare in this run",
    );
  });

  test("an MLP checkpoint of shardfit 0.1 ({inputSize, hidden, classes}) resumes as its mlpSpec", () => {
    const files = encodeCheckpoint(state);
    const old = { ...JSON.parse(files.json), spec: { inputSize: 6, hidden: [4], classes: 3 } };
    const back = decodeCheckpoint(JSON.stringify(old), files.state, expectations);
    expect(back.checkpoint.spec).toEqual(spec);
    expect(back.params).toEqual(state.params);
    const wider = JSON.stringify({ ...old, spec: { inputSize: 6, hidden: [5], classes: 3 } });
    expect(() => decodeCheckpoint(wider, files.state, expectations)).toThrow(
      "checkpoint.json: the checkpoint is of a 6→5→3 model, this run trains 6→4→3",
    );
    const broken = JSON.stringify({ ...old, spec: { inputSize: 6, hidden: [0], classes: 3 } });
    expect(() => decodeCheckpoint(broken, files.state, expectations)).toThrow(
      "checkpoint.json: spec.hidden[0]: expected a positive integer, got 0",
    );
  });
});
