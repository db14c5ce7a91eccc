import { describe, expect, test } from "bun:test";
import { CONVNET_SPEC } from "../../src/core/model/presets.ts";
import { conv2d, dense, flatten } from "../../src/core/model/sequential.ts";
import { ConfigError, resolveTrainConfig } from "../../src/train/config.ts";

const TINY = {
  inputShape: [28, 28, 1],
  layers: [conv2d(2, 3), flatten(), dense(10, { activation: "softmax" })],
};

/** A tfjs-style topology of the same model, as `model.toJSON()` writes it (abridged). */
const TINY_TOPOLOGY = {
  class_name: "Sequential",
  config: {
    name: "sequential_1",
    layers: [
      {
        class_name: "Conv2D",
        config: {
          name: "c",
          filters: 2,
          kernel_size: [3, 3],
          batch_input_shape: [null, 28, 28, 1],
        },
      },
      { class_name: "Flatten", config: { name: "f" } },
      { class_name: "Dense", config: { name: "d", units: 10, activation: "softmax" } },
    ],
  },
};

describe("the model option", () => {
  test("defaults to the MLP with batch 128", () => {
    const config = resolveTrainConfig({});
    expect(config.model).toEqual({ kind: "mlp" });
    expect(config.batchSize).toBe(128);
  });

  test("convnet is the book's convnet, with batch 64 unless told otherwise", () => {
    const config = resolveTrainConfig({ model: "convnet" });
    expect(config.model).toEqual({ kind: "spec", name: "convnet", spec: CONVNET_SPEC });
    expect(config.batchSize).toBe(64);
    expect(resolveTrainConfig({ model: "convnet", batchSize: 32 }).batchSize).toBe(32);
  });

  test("a Sequential spec, a topology object or its JSON text are used as they are", () => {
    expect(resolveTrainConfig({ model: TINY }).model).toMatchObject({ spec: TINY });
    for (const model of [TINY_TOPOLOGY, JSON.stringify(TINY_TOPOLOGY)]) {
      const config = resolveTrainConfig({ model });
      expect(config.model.kind).toBe("spec");
      if (config.model.kind !== "spec") return;
      expect(config.model.spec.layers.map((l) => l.kind)).toEqual(["conv2d", "flatten", "dense"]);
      expect(config.model.spec.inputShape).toEqual([28, 28, 1]);
    }
  });

  test("any other string is a file the run reads", () => {
    expect(resolveTrainConfig({ model: "nets/a.json" }).model).toEqual({
      kind: "file",
      path: "nets/a.json",
    });
  });

  test.each([
    [{ model: 7 }, "model", 'model: expected "mlp", "convnet", a tfjs Layers topology'],
    [{ model: "" }, "model", 'model: expected "mlp", "convnet"'],
    [
      { model: "convnet", hidden: [64] },
      "hidden",
      'hidden: expected no hidden widths with model "convnet"',
    ],
  ] as const)("%j is a ConfigError naming %s", (options, option, message) => {
    let error: unknown;
    try {
      resolveTrainConfig(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe(option);
    expect((error as Error).message).toStartWith(message);
  });

  test("an inline topology's errors name the layer and the field", () => {
    const bad = structuredClone(TINY_TOPOLOGY);
    (bad.config.layers[0].config as Record<string, unknown>).padding = "causal";
    expect(() => resolveTrainConfig({ model: bad })).toThrow(
      /model: layers\[0\] "c" \(Conv2D\): padding: expected "valid" or "same", got "causal"/,
    );
  });
});

test("a Sequential spec's errors name the layer and the field", () => {
  const flat = { ...TINY, layers: [dense(10, { activation: "softmax" })] };
  expect(() => resolveTrainConfig({ model: flat })).toThrow(
    'model spec: layer 0 (dense "dense_Dense1"): expected a rank-1 input (add a Flatten before Dense), got shape [28, 28, 1]',
  );
});
