import { loadTopologyFile } from "../adapter/fs/topology-file.ts";
import type { Dataset } from "../core/dataset.ts";
import { showShape } from "../core/model/sequential.ts";
import { validateSpec } from "../core/spec.ts";
import {
  classesOf,
  inputSizeOf,
  isSequentialSpec,
  type TrainSpec,
  untrainableReason,
} from "../core/train-spec.ts";
import type { TrainConfig } from "./config.ts";
import { checkTrainingMemory } from "./memory-check.ts";

/** MNIST's digits. */
const CLASSES = 10;

/** The run's model for its data: the configured choice, read (a file) and checked against the images. */
export async function runSpec(config: TrainConfig, data: Dataset): Promise<TrainSpec> {
  const { rows, cols } = data.train;
  const model = config.model;
  if (model.kind === "mlp") {
    return validateSpec({ inputSize: rows * cols, hidden: config.hidden, classes: CLASSES });
  }
  const spec = model.kind === "file" ? await loadTopologyFile(model.path) : model.spec;
  const source = model.kind === "file" ? model.path : `model "${model.name}"`;
  const reason = isSequentialSpec(spec) ? untrainableReason(spec) : undefined;
  if (reason) throw new Error(`${source}: ${reason}`);
  checkFitsData(spec, rows, cols, source);
  if (isSequentialSpec(spec)) checkTrainingMemory(spec, config, source);
  return spec;
}

function checkFitsData(spec: TrainSpec, rows: number, cols: number, source: string): void {
  if (inputSizeOf(spec) !== rows * cols) {
    const shape = isSequentialSpec(spec) ? showShape(spec.inputShape) : `[${spec.inputSize}]`;
    throw new Error(
      `${source}: the input shape ${shape} holds ${inputSizeOf(spec)} values; the data's images are ${rows}×${cols} = ${rows * cols} pixels`,
    );
  }
  if (classesOf(spec) !== CLASSES) {
    throw new Error(
      `${source}: the last layer has ${classesOf(spec)} outputs; expected ${CLASSES} (one per digit class)`,
    );
  }
}
