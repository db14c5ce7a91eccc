import { describe, expect, test } from "bun:test";
import * as tf from "@tensorflow/tfjs";
import { parseTopology } from "../../../src/core/format/topology.ts";
import { GLOROT_UNIFORM, TFJS_GLOROT_NORMAL } from "../../../src/core/model/initializers.ts";
import { modelLayout } from "../../../src/core/model/sequential.ts";

/** What tfjs writes for a model: `model.toJSON()` (a JSON string). */
function tfjsTopology(layers: tf.layers.Layer[]): string {
  const m = tf.sequential({ layers });
  const json = m.toJSON() as string;
  m.dispose();
  return json;
}

const everyLayer = () =>
  tfjsTopology([
    tf.layers.conv2d({
      filters: 4,
      kernelSize: [3, 2],
      strides: 2,
      padding: "same",
      activation: "relu",
      inputShape: [9, 7, 1],
      kernelInitializer: "heUniform",
    }),
    tf.layers.maxPooling2d({ poolSize: 2, padding: "same" }),
    tf.layers.dropout({ rate: 0.25 }),
    tf.layers.flatten(),
    tf.layers.reshape({ targetShape: [24] }),
    tf.layers.dense({ units: 5, useBias: false, kernelInitializer: "glorotUniform" }),
    tf.layers.dense({ units: 3, activation: "softmax" }),
  ]);

/** Replaces `field` of layer `index`'s config in a topology string. */
function edit(json: string, index: number, field: string, value: unknown): object {
  const t = JSON.parse(json);
  t.config.layers[index].config[field] = value;
  return t;
}

describe("tfjs Layers topology", () => {
  test("reads every supported layer as tfjs writes it, with tfjs's shapes and counts", async () => {
    const json = everyLayer();
    const spec = parseTopology(json);
    expect(spec.inputShape).toEqual([9, 7, 1]);
    expect(spec.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "maxPooling2d",
      "dropout",
      "flatten",
      "reshape",
      "dense",
      "dense",
    ]);
    expect(spec.layers[0]).toMatchObject({
      filters: 4,
      kernelSize: [3, 2],
      strides: [2, 2],
      padding: "same",
      activation: "relu",
      useBias: true,
      // tfjs writes heUniform as its VarianceScaling config.
      kernelInitializer: {
        kind: "varianceScaling",
        scale: 2,
        mode: "fanIn",
        distribution: "uniform",
      },
      biasInitializer: { kind: "zeros" },
    });
    expect(spec.layers[1]).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: "same" });
    expect(spec.layers[2]).toMatchObject({ rate: 0.25 });
    expect(spec.layers[5]).toMatchObject({ useBias: false, kernelInitializer: GLOROT_UNIFORM });
    // tfjs's default kernel initializer: glorot normal written as VarianceScaling fan_avg/normal.
    expect(spec.layers[6]).toMatchObject({
      activation: "softmax",
      kernelInitializer: TFJS_GLOROT_NORMAL,
    });
    const layout = modelLayout(spec);
    // tfjs's own model from the same topology has the same parameters in the same order.
    const t = await tf.models.modelFromJSON({ modelTopology: JSON.parse(json) });
    expect(layout.size).toBe(t.countParams());
    expect(layout.weights.map((w) => [...w.shape])).toEqual(t.getWeights().map((w) => w.shape));
    expect(layout.weights.map((w) => w.name)).toEqual([
      expect.stringMatching(/^conv2d_Conv2D\d+\/kernel$/),
      expect.stringMatching(/^conv2d_Conv2D\d+\/bias$/),
      expect.stringMatching(/^dense_Dense\d+\/kernel$/),
      expect.stringMatching(/^dense_Dense\d+\/kernel$/),
      expect.stringMatching(/^dense_Dense\d+\/bias$/),
    ]);
    t.dispose();
  });

  test("accepts a whole model.json and Keras's own spelling (InputLayer, named initializers)", () => {
    const keras = {
      modelTopology: {
        keras_version: "2.15.0",
        backend: "tensorflow",
        model_config: {
          class_name: "Sequential",
          config: {
            name: "sequential",
            layers: [
              {
                class_name: "InputLayer",
                config: { batch_input_shape: [null, 28, 28, 1], name: "in" },
              },
              {
                class_name: "Conv2D",
                config: {
                  name: "conv2d",
                  filters: 8,
                  kernel_size: [3, 3],
                  strides: [1, 1],
                  padding: "valid",
                  data_format: "channels_last",
                  dilation_rate: [1, 1],
                  groups: 1,
                  activation: "relu",
                  use_bias: true,
                  kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
                  bias_initializer: { class_name: "Zeros", config: {} },
                  kernel_regularizer: null,
                },
              },
              { class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" } },
              {
                class_name: "Dense",
                config: {
                  name: "dense",
                  dtype: {
                    module: "keras",
                    class_name: "DTypePolicy",
                    config: { name: "float32" },
                  },
                  units: 10,
                  activation: "softmax",
                  kernel_initializer: {
                    class_name: "VarianceScaling",
                    config: { scale: 2, mode: "fan_in", distribution: "truncated_normal" },
                  },
                },
              },
            ],
          },
        },
      },
    };
    const spec = parseTopology(keras);
    expect(spec.inputShape).toEqual([28, 28, 1]);
    expect(spec.layers.map((l) => l.name)).toEqual(["conv2d", "flatten", "dense"]);
    expect(spec.layers[0]).toMatchObject({ kernelInitializer: GLOROT_UNIFORM });
    expect(spec.layers[2]).toMatchObject({
      kernelInitializer: {
        kind: "varianceScaling",
        scale: 2,
        mode: "fanIn",
        distribution: "truncatedNormal",
      },
    });
    expect(modelLayout(spec).size).toBe(3 * 3 * 8 + 8 + 26 * 26 * 8 * 10 + 10);
  });

  test("anything unsupported is an error naming the layer and field, expected vs got", () => {
    const json = everyLayer();
    const name = (i: number) => JSON.parse(json).config.layers[i].config.name as string;
    const conv = `layers[0] "${name(0)}" (Conv2D)`;
    const cases: [unknown, string][] = [
      [
        edit(json, 0, "padding", "causal"),
        `${conv}: padding: expected "valid" or "same", got "causal"`,
      ],
      [
        edit(json, 0, "activation", "swish"),
        `${conv}: activation: expected "linear" or "relu" or "sigmoid" or "tanh" or "softmax" or "gelu" or "elu", got "swish"`,
      ],
      [
        edit(json, 0, "data_format", "channels_first"),
        `${conv}: data_format: expected "channels_last" (the only one supported), got "channels_first"`,
      ],
      [
        edit(json, 0, "dilation_rate", [2, 2]),
        `${conv}: dilation_rate: expected [1, 1] (the only one supported), got [2,2]`,
      ],
      [
        edit(json, 0, "kernel_size", [3, 0]),
        `${conv}: kernel_size: expected a positive integer or two of them, got [3,0]`,
      ],
      [
        edit(json, 0, "filters", undefined),
        `${conv}: filters: expected a positive integer, got nothing (the field is missing)`,
      ],
      [
        edit(json, 0, "kernel_regularizer", { class_name: "L2", config: { l2: 0.01 } }),
        `${conv}: kernel_regularizer: expected null (not supported)`,
      ],
      [
        edit(json, 0, "kernel_initializer", { class_name: "Orthogonal", config: {} }),
        `${conv}: kernel_initializer: expected an initializer (Zeros, Ones,`,
      ],
      [
        edit(json, 0, "kernel_initializer", {
          class_name: "VarianceScaling",
          config: { mode: "fan_sum" },
        }),
        `${conv}: kernel_initializer: mode: expected "fan_in" or "fanIn" or "fan_out"`,
      ],
      [
        edit(json, 0, "batch_input_shape", undefined),
        `layers[0]: batch_input_shape: expected [null, …dims] on the first layer, got nothing`,
      ],
      [
        edit(json, 2, "rate", 1.5),
        `layers[2] "${name(2)}" (Dropout): rate: expected a number in [0, 1), got 1.5`,
      ],
      [
        edit(json, 4, "target_shape", [25]),
        `layer 4 (reshape "${name(4)}"): targetShape: [25] holds 25 values, the input [24] holds 24`,
      ],
      [
        edit(json, 0, "dtype", { class_name: "DTypePolicy", config: { name: "mixed_float16" } }),
        `${conv}: dtype: expected "float32" (the only one supported), got "mixed_float16"`,
      ],
      [{ class_name: "Model", config: {} }, `class_name: expected "Sequential", got "Model"`],
      ["{not json", "not valid JSON"],
    ];
    for (const [input, message] of cases) {
      expect(() => parseTopology(input, "convnet.json")).toThrow(`convnet.json: ${message}`);
    }
    const lstm = JSON.parse(json);
    lstm.config.layers[3] = { class_name: "LSTM", config: { name: "lstm_1", units: 4 } };
    expect(() => parseTopology(lstm)).toThrow(
      'layers[3] "lstm_1" (LSTM): class_name: expected one of Conv2D, MaxPooling2D, Dense, Flatten, Dropout, Reshape, got "LSTM"',
    );
    const flatInput = tfjsTopology([tf.layers.dense({ units: 3, inputShape: [4, 4] })]);
    expect(() => parseTopology(flatInput)).toThrow(
      "(add a Flatten before Dense), got shape [4, 4]",
    );
  });
});
