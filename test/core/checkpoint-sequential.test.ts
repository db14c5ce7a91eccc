import { describe, expect, test } from "bun:test";
import {
  type CheckpointState,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../../src/core/checkpoint-format.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  flatten,
  type ModelSpec,
  modelLayout,
} from "../../src/core/model/sequential.ts";
import { rmsprop } from "../../src/core/optim/optimizer.ts";

const spec: ModelSpec = {
  inputShape: [6, 6, 1],
  layers: [conv2d(2, 3, { activation: "relu" }), flatten(), dense(3, { activation: "softmax" })],
};
const n = modelLayout(spec).size;
const ramp = (scale: number) => Float32Array.from({ length: n }, (_, i) => scale * (i + 1));
const settings = { batchSize: 16, optimizer: rmsprop(), seed: 3, trainSamples: 64 };
const state: CheckpointState = {
  checkpoint: {
    format: "shardfit-checkpoint",
    version: 2,
    spec,
    epoch: 1,
    stepsDone: 4,
    rng: { seed: 3, nextEpoch: 1 },
    ...settings,
    optimizerState: ["meanSquare"],
    workers: 2,
    history: [],
    stateChecksum: "",
  },
  params: ramp(0.5),
  optimizerState: [ramp(0.25)],
};

describe("a checkpoint of a Sequential model", () => {
  test("round-trips its spec, weights and optimizer state", () => {
    const files = encodeCheckpoint(state);
    const back = decodeCheckpoint(files.json, files.state, { spec, ...settings });
    expect(back.checkpoint.spec).toEqual(spec);
    expect(back.params).toEqual(state.params);
    expect(back.optimizerState).toEqual(state.optimizerState);
  });

  test("a spec broken in the file is an error naming the layer and the field", () => {
    const files = encodeCheckpoint(state);
    const json = JSON.parse(files.json);
    json.spec.layers[0].filters = 0;
    expect(() =>
      decodeCheckpoint(JSON.stringify(json), files.state, { spec, ...settings }),
    ).toThrow(
      'checkpoint.json: spec: model spec: layer 0 (conv2d "conv2d_Conv2D1"): filters: expected a positive integer, got 0',
    );
  });

  test("an MLP run does not resume from it, and says which model each is", () => {
    const files = encodeCheckpoint(state);
    const mlp = mlpSpec([4], 36, 3);
    expect(() => decodeCheckpoint(files.json, files.state, { spec: mlp, ...settings })).toThrow(
      "checkpoint.json: the checkpoint is of a 6×6×1 → Conv2D(2, 3×3, relu) → Flatten → Dense(3, softmax) model, this run trains 36→4→3",
    );
  });
});
