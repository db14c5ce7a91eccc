import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { toModelJson } from "../../src/core/format/layers-json.ts";
import { ModelFormatError, parseTopology } from "../../src/core/format/topology.ts";
import { readTrainingConfig, trainingConfigJson } from "../../src/core/format/training-config.ts";
import { CONVNET_SPEC, mlpSpec } from "../../src/core/model/presets.ts";
import { parameterCount, sameSpec } from "../../src/core/model/sequential.ts";
import type { OptimizerSpec } from "../../src/core/optim/optimizer.ts";
import { parseSchedule } from "../../src/core/optim/schedule.ts";
import { KERAS_OPTIMIZERS, resolveOptimizer } from "../../src/core/optim/spec.ts";

const KERAS3 = readFileSync(new URL("../fixtures/keras3/convnet.json", import.meta.url), "utf8");

describe("Keras 3's model.to_json()", () => {
  test("reads as the convnet it describes (module, registered_name, batch_shape, dtype policies)", () => {
    const spec = parseTopology(KERAS3, "convnet.json");
    expect(spec.inputShape).toEqual([28, 28, 1]);
    expect(spec.layers.map((l) => l.kind)).toEqual([
      "conv2d",
      "maxPooling2d",
      "conv2d",
      "maxPooling2d",
      "conv2d",
      "flatten",
      "dropout",
      "dense",
      "dense",
    ]);
    const withoutDropout = { ...spec, layers: spec.layers.filter((l) => l.kind !== "dropout") };
    expect(sameSpec(withoutDropout, CONVNET_SPEC)).toBe(true);
    expect(parameterCount(spec)).toBe(93_322);
  });

  test("its compile_config is the training config: Adam at 5e-4, cross-entropy, accuracy", () => {
    expect(readTrainingConfig(KERAS3, "convnet.json")).toEqual({
      optimizer: {
        type: "adam",
        learningRate: 0.0005000000237487257,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
      },
      loss: "categorical_crossentropy",
      metrics: ["accuracy"],
    });
  });
});

describe("training_config in Keras 2, converter and tfjs files", () => {
  test("Keras 2 (lr, a zero time decay) in the converter's modelTopology", () => {
    const file = {
      modelTopology: {
        model_config: { class_name: "Sequential", config: { layers: [] } },
        training_config: {
          optimizer_config: {
            class_name: "RMSprop",
            config: { lr: 0.01, rho: 0.8, decay: 0.0, epsilon: 1e-7 },
          },
          loss: "categorical_crossentropy",
          metrics: ["acc"],
        },
      },
    };
    expect(readTrainingConfig(file, "m.json")).toEqual({
      optimizer: { type: "rmsprop", learningRate: 0.01, rho: 0.8, epsilon: 1e-7 },
      loss: "categorical_crossentropy",
      metrics: ["acc"],
    });
  });

  test("tfjs's trainingConfig: RMSProp's decay is ρ, Momentum is SGD with momentum", () => {
    const tfjs = (optimizer_config: object) => ({
      trainingConfig: { optimizer_config, loss: "categoricalCrossentropy" },
    });
    expect(
      readTrainingConfig(
        tfjs({ class_name: "RMSProp", config: { learning_rate: 0.1, decay: 0.95 } }),
        "m",
      )?.optimizer,
    ).toEqual({ type: "rmsprop", learningRate: 0.1, rho: 0.95 });
    expect(
      readTrainingConfig(
        tfjs({
          class_name: "Momentum",
          config: { learning_rate: 0.1, momentum: 0.9, use_nesterov: true },
        }),
        "m",
      )?.optimizer,
    ).toEqual({ type: "sgd", learningRate: 0.1, momentum: 0.9, nesterov: true });
  });

  test("none: undefined", () => {
    expect(readTrainingConfig(toModelJson(mlpSpec([4], 6, 3)), "m")).toBeUndefined();
  });

  test.each([
    [
      { class_name: "Nadam", config: {} },
      'expected one of RMSprop, Adam, AdamW, SGD, Adagrad, got "Nadam"',
    ],
    [{ class_name: "Adam", config: { amsgrad: true } }, "optimizer.amsgrad: expected false"],
    [{ class_name: "RMSprop", config: { centered: true } }, "optimizer.centered: expected false"],
    [{ class_name: "RMSprop", config: { momentum: 0.5 } }, "optimizer.momentum: expected 0"],
    [{ class_name: "SGD", config: { clipnorm: 1 } }, "optimizer.clipnorm: expected null"],
    [{ class_name: "SGD", config: { foo: 1 } }, 'optimizer: unknown setting "foo"'],
  ])("%j is refused: %s", (optimizer, message) => {
    const read = () => readTrainingConfig({ compile_config: { optimizer } }, "m.json");
    expect(read).toThrow(ModelFormatError);
    expect(read).toThrow(message);
  });
});

describe("writing the training config", () => {
  const cases: [string, OptimizerSpec][] = [
    ...Object.entries(KERAS_OPTIMIZERS),
    [
      "sgd with a cosine warm-up",
      {
        ...KERAS_OPTIMIZERS.sgd,
        momentum: 0.9,
        schedule: parseSchedule("cosine:decay_steps=100,warmup_target=0.1,warmup_steps=10"),
      },
    ],
    [
      "adam with piecewise",
      {
        ...KERAS_OPTIMIZERS.adam,
        learningRate: 0.01,
        schedule: parseSchedule("piecewise:boundaries=10/20,values=0.01/0.005/0.001"),
      },
    ],
  ];
  test.each(cases)("%s reads back as the same optimizer", (_, optimizer) => {
    const training = trainingConfigJson({
      optimizer,
      loss: "categorical_crossentropy",
      metrics: ["accuracy"],
    });
    const file = toModelJson(mlpSpec([4], 6, 3), undefined, training);
    const read = readTrainingConfig(JSON.stringify(file), "model.json");
    expect(read?.loss).toBe("categorical_crossentropy");
    expect(resolveOptimizer({ optimizer: read?.optimizer })).toEqual(optimizer);
  });

  test("Keras's names and class names", () => {
    expect(
      trainingConfigJson({ optimizer: KERAS_OPTIMIZERS.adamw, loss: "mse", metrics: ["mae"] }),
    ).toEqual({
      optimizer_config: {
        class_name: "AdamW",
        config: {
          learning_rate: 0.001,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          weight_decay: 0.004,
        },
      },
      loss: "mse",
      metrics: ["mae"],
    });
  });
});
