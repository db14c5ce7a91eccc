import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../../src/core/data/rng.ts";
import { initParams } from "../../../src/core/model/init.ts";
import { CONVNET_SPEC, mlpSpec } from "../../../src/core/model/presets.ts";
import {
  conv2d,
  dense,
  dropout,
  flatten,
  type ModelSpec,
  maxPooling2d,
  modelLayout,
  reshape,
  sameSpec,
  windowGeometry,
} from "../../../src/core/model/sequential.ts";

describe("sequential layout", () => {
  test("an MLP keeps shardfit 0.1's layout and initial weights bit for bit", () => {
    for (const hidden of [[512], [256, 128], []]) {
      const widths = [784, ...hidden, 10];
      const layout = modelLayout(mlpSpec(hidden));
      // 0.1's Dense stack: per layer its kernel [in, out] then its bias, glorot-uniform
      // kernels drawn in order from one stream, zero biases.
      const rng = Rng.fromSeed(5, 0x1417);
      const theirs: number[] = [];
      let offset = 0;
      for (let i = 0; i + 1 < widths.length; i++) {
        const [inputs, units] = [widths[i], widths[i + 1]];
        expect(layout.weights[2 * i]).toMatchObject({
          name: `dense_Dense${i + 1}/kernel`,
          shape: [inputs, units],
          offset,
        });
        expect(layout.weights[2 * i + 1]).toMatchObject({
          name: `dense_Dense${i + 1}/bias`,
          shape: [units],
          offset: offset + inputs * units,
        });
        offset += inputs * units + units;
        const limit = Math.sqrt(6 / (inputs + units));
        for (let k = 0; k < inputs * units; k++) theirs.push((2 * rng.next() - 1) * limit);
        for (let k = 0; k < units; k++) theirs.push(0);
      }
      expect(layout.size).toBe(offset);
      const ours = initParams(layout.spec, 5);
      expect(Buffer.from(ours.buffer).equals(Buffer.from(Float32Array.from(theirs).buffer))).toBe(
        true,
      );
    }
  });

  test("the convnet preset has Keras's shapes and 93,322 parameters, as tfjs counts them", () => {
    const layout = modelLayout(CONVNET_SPEC);
    expect(layout.layers.map((l) => l.outputShape)).toEqual([
      [26, 26, 32],
      [13, 13, 32],
      [11, 11, 64],
      [5, 5, 64],
      [3, 3, 64],
      [576],
      [64],
      [10],
    ]);
    expect(layout.size).toBe(93322);
    expect(layout.weights[2]).toMatchObject({ shape: [3, 3, 32, 64], offset: 320, size: 18432 });
    // Independent count: the same network built with tf.layers.
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 32, kernelSize: 3, inputShape: [28, 28, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3 }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 64 }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    expect(m.countParams()).toBe(layout.size);
    expect(m.getWeights().map((w) => w.shape)).toEqual(layout.weights.map((w) => [...w.shape]));
    m.dispose();
  });

  test("'same' padding matches TensorFlow's output sizes and split", () => {
    expect(windowGeometry(28, 5, 2, "same")).toEqual({ out: 14, padBefore: 1 });
    expect(windowGeometry(7, 3, 2, "same")).toEqual({ out: 4, padBefore: 1 });
    expect(windowGeometry(6, 2, 2, "same")).toEqual({ out: 3, padBefore: 0 });
    expect(windowGeometry(7, 2, 1, "same")).toEqual({ out: 7, padBefore: 0 });
    expect(windowGeometry(7, 3, 2, "valid")).toEqual({ out: 3, padBefore: 0 });
    const shapes = modelLayout({
      inputShape: [9, 7, 2],
      layers: [
        conv2d(4, [3, 2], { strides: 2, padding: "same" }),
        maxPooling2d(2, { padding: "same" }),
        dropout(0.5),
        reshape([3, 2, 4]),
        flatten(),
        dense(3, { activation: "softmax", useBias: false }),
      ],
    }).layers.map((l) => l.outputShape);
    expect(shapes).toEqual([[5, 4, 4], [3, 2, 4], [3, 2, 4], [3, 2, 4], [24], [3]]);
  });

  test("a layer without bias has only its kernel in the layout", () => {
    const layout = modelLayout({ inputShape: [4], layers: [dense(3, { useBias: false })] });
    expect(layout.weights.map((w) => w.name)).toEqual(["dense_Dense1/kernel"]);
    expect(layout.size).toBe(12);
  });

  const bad = (spec: ModelSpec) => () => modelLayout(spec);
  test("sameSpec compares what trains: not layer names, not the order of fields", () => {
    const mlp = mlpSpec([8], 6, 3);
    const named = { ...mlp, layers: mlp.layers.map((l, i) => ({ ...l, name: `d${i}` })) };
    const reordered = JSON.parse(
      JSON.stringify(mlp, (_, v) =>
        v && typeof v === "object" && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v).reverse())
          : v,
      ),
    );
    expect(sameSpec(mlp, named)).toBe(true);
    expect(sameSpec(mlp, reordered)).toBe(true);
    expect(sameSpec(mlp, mlpSpec([9], 6, 3))).toBe(false);
    const zeroInit = {
      ...mlp,
      layers: [
        dense(8, { activation: "relu", kernelInitializer: { kind: "zeros" } }),
        mlp.layers[1],
      ],
    };
    expect(sameSpec(mlp, zeroInit)).toBe(false);
  });

  test("bad specs are errors naming the layer, the field, expected vs got", () => {
    expect(bad({ inputShape: [28, 28, 0], layers: [flatten()] })).toThrow(
      "inputShape: expected positive integers, got [28,28,0]",
    );
    expect(bad({ inputShape: [4], layers: [] })).toThrow("layers: expected at least one layer");
    expect(bad({ inputShape: [28, 28, 1], layers: [dense(10)] })).toThrow(
      'layer 0 (dense "dense_Dense1"): expected a rank-1 input (add a Flatten before Dense), got shape [28, 28, 1]',
    );
    expect(bad({ inputShape: [784], layers: [conv2d(8, 3)] })).toThrow(
      'layer 0 (conv2d "conv2d_Conv2D1"): expected a rank-3 input [height, width, channels], got shape [784]',
    );
    expect(bad({ inputShape: [4, 4, 1], layers: [conv2d(8, 5)] })).toThrow(
      'a 5×5 window with "valid" padding does not fit the input [4, 4, 1]',
    );
    expect(bad({ inputShape: [4, 4, 1], layers: [conv2d(0, 3)] })).toThrow(
      "filters: expected a positive integer, got 0",
    );
    expect(bad({ inputShape: [4, 4, 1], layers: [conv2d(2, 3, { strides: [1, 0] })] })).toThrow(
      "strides: expected two positive integers, got [1,0]",
    );
    expect(
      bad({ inputShape: [4, 4, 1], layers: [conv2d(2, 3, { padding: "causal" as "same" })] }),
    ).toThrow('padding: expected "valid" or "same", got "causal"');
    expect(bad({ inputShape: [4], layers: [dense(3, { activation: "swish" as "relu" })] })).toThrow(
      'layer 0 (dense "dense_Dense1"): activation: expected one of "linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", got "swish"',
    );
    expect(bad({ inputShape: [6], layers: [reshape([4, 2])] })).toThrow(
      'layer 0 (reshape "reshape_Reshape1"): targetShape: [4, 2] holds 8 values, the input [6] holds 6',
    );
    expect(bad({ inputShape: [6], layers: [flatten()] })).toThrow(
      'layer 0 (flatten "flatten_Flatten1"): expected an input of rank ≥ 2, got shape [6]',
    );
    expect(bad({ inputShape: [6], layers: [dropout(1)] })).toThrow(
      "rate: expected a number in [0, 1), got 1",
    );
  });
});
