import { loadTopologyFile } from "../adapter/fs/topology-file.ts";
import type { SampleData, SampleTargets } from "../core/data/dataset.ts";
import { dataMismatch } from "../core/data/fit.ts";
import { defaultTraining, type TargetKind } from "../core/loss/default-choice.ts";
import type { LossName } from "../core/loss/loss.ts";
import { untrainableOutput } from "../core/loss/output-loss.ts";
import { resolveMetrics } from "../core/metric/index.ts";
import type { ActivationName } from "../core/model/activations.ts";
import { mlpSpec } from "../core/model/presets.ts";
import {
  inputSizeOf,
  type ModelSpec,
  modelLayout,
  outputActivation,
} from "../core/model/sequential.ts";
import { modelSource, type TrainConfig } from "./config.ts";
import { checkTrainingMemory } from "./memory-check.ts";

/** The run's model and how it trains: the loss, and what to tell the user about the choice. */
export interface RunModel {
  readonly spec: ModelSpec;
  readonly loss: LossName;
  /** The metrics to report: the names the workers measure, the History keys they go under. */
  readonly metrics: readonly RunMetric[];
  /** One line: the loss, and why (the data decided, or the user named it). */
  readonly description: string;
}

/**
 * The run's model for its data: the configured choice, read (a file) and checked against the
 * data (input size, output width, loss). The MLP's output follows the data and the loss.
 */
export async function runModel(config: TrainConfig, data: SampleData): Promise<RunModel> {
  const targets = targetKind(data.train.y);
  const model = config.model;
  if (model.kind === "mlp") {
    const choice = defaultTraining(targets);
    const loss = config.loss ?? choice.loss;
    const { activation, units } = config.loss
      ? outputFor(config.loss, data.train.y)
      : { activation: choice.activation, units: choice.units };
    const inputs = data.train.sampleShape.reduce((a, b) => a * b, 1);
    const spec = mlpSpec(config.hidden, inputs, units, activation);
    checkFits(spec, loss, data, modelSource(model));
    checkTrainingMemory(spec, config, modelSource(model), undefined, data);
    const description = config.loss ? given(loss) : choice.description;
    const metrics = checkedMetrics(config.metrics ?? choice.metrics, loss, spec);
    return { spec, loss, metrics, description };
  }
  const spec = model.kind === "file" ? await loadTopologyFile(model.path) : model.spec;
  const source = modelSource(model);
  const loss = config.loss ?? lossForModel(spec, targets);
  checkFits(spec, loss, data, source);
  checkTrainingMemory(spec, config, source, undefined, data);
  const decided = `the data (${describeTargets(targets)}) and the model's output decide: loss ${loss}`;
  const metrics = checkedMetrics(config.metrics ?? defaultTraining(targets).metrics, loss, spec);
  return { spec, loss, metrics, description: config.loss ? given(loss) : decided };
}

export interface RunMetric {
  readonly name: string;
  readonly key: string;
}

/** `names` as Keras compiles them for `loss` and the model's output; throws naming a bad one. */
function checkedMetrics(names: readonly string[], loss: LossName, spec: ModelSpec): RunMetric[] {
  const layout = modelLayout(spec);
  const units = layout.outputShape[layout.outputShape.length - 1];
  return resolveMetrics(names, { loss, units }).map((m, i) => ({ name: names[i], key: m.key }));
}

const given = (loss: LossName) => `loss ${loss} (as given)`;

/** What the targets are, as core/loss's defaultTraining reads them. */
function targetKind(y: SampleTargets): TargetKind {
  if (y.kind === "classes") return { kind: "class-indices", classes: y.classes };
  return y.oneHot ? { kind: "one-hot", classes: y.width } : { kind: "numbers", outputs: y.width };
}

function describeTargets(t: TargetKind): string {
  if (t.kind === "class-indices") return `${t.classes} classes, as indices`;
  if (t.kind === "one-hot") return `${t.classes} classes, as one-hot rows`;
  if (t.kind === "multi-label") return `${t.labels} 0/1 labels`;
  return `${t.outputs} numbers per sample`;
}

/** The MLP's output for a named loss: probabilities for a cross-entropy, else linear. */
function outputFor(
  loss: LossName,
  y: SampleTargets,
): { activation: ActivationName; units: number } {
  const width = y.kind === "classes" ? y.classes : y.width;
  if (loss === "binary_crossentropy") {
    return { activation: "sigmoid", units: y.kind === "classes" && width === 2 ? 1 : width };
  }
  if (loss === "categorical_crossentropy" || loss === "sparse_categorical_crossentropy") {
    return { activation: "softmax", units: width };
  }
  return { activation: "linear", units: width };
}

/**
 * The loss for a given model when none is named: a cross-entropy matching its output's
 * activation for class targets (sparse on class indices), mse for numbers.
 */
function lossForModel(spec: ModelSpec, targets: TargetKind): LossName {
  const activation = outputActivation(spec);
  if (targets.kind === "numbers") return "mse";
  if (activation === "sigmoid") return "binary_crossentropy";
  return targets.kind === "class-indices"
    ? "sparse_categorical_crossentropy"
    : "categorical_crossentropy";
}

/** Input size, output width and loss against the data; the error says expected vs got. */
function checkFits(spec: ModelSpec, loss: LossName, data: SampleData, source: string): void {
  const layout = modelLayout(spec);
  const units = layout.outputShape[layout.outputShape.length - 1];
  const mismatch = dataMismatch(data.train, inputSizeOf(spec), units);
  if (mismatch) throw new Error(`${source}: ${mismatch}`);
  const reason = untrainableOutput(loss, outputActivation(spec), units);
  if (reason) throw new Error(`${source}: ${reason}`);
  if (loss === "sparse_categorical_crossentropy" && data.train.y.kind !== "classes") {
    throw new Error(
      `${source}: loss sparse_categorical_crossentropy takes class indices; the targets are rows (use categorical_crossentropy)`,
    );
  }
}
