import { loadTopologyFile } from "../adapter/fs/topology-file.ts";
import type { Dataset } from "../core/data/dataset.ts";
import { untrainableReason } from "../core/model/describe.ts";
import { mlpSpec } from "../core/model/presets.ts";
import { classesOf, inputSizeOf, type ModelSpec, showShape } from "../core/model/sequential.ts";
import { modelSource, type TrainConfig } from "./config.ts";
import { checkTrainingMemory } from "./memory-check.ts";

/** MNIST's digits. */
const CLASSES = 10;

/** The run's model for its data: the configured choice, read (a file) and checked against the images. */
export async function runSpec(config: TrainConfig, data: Dataset): Promise<ModelSpec> {
  const { rows, cols } = data.train;
  const model = config.model;
  if (model.kind === "mlp") {
    // The MLP takes whatever images the data holds, flattened.
    const spec = mlpSpec(config.hidden, rows * cols, CLASSES);
    checkTrainingMemory(spec, config, modelSource(model));
    return spec;
  }
  const spec = model.kind === "file" ? await loadTopologyFile(model.path) : model.spec;
  const source = modelSource(model);
  const reason = untrainableReason(spec);
  if (reason) throw new Error(`${source}: ${reason}`);
  checkFitsData(spec, rows, cols, source);
  checkTrainingMemory(spec, config, source);
  return spec;
}

function checkFitsData(spec: ModelSpec, rows: number, cols: number, source: string): void {
  if (inputSizeOf(spec) !== rows * cols) {
    throw new Error(
      `${source}: the input shape ${showShape(spec.inputShape)} holds ${inputSizeOf(spec)} values; the data's images are ${rows}×${cols} = ${rows * cols} pixels`,
    );
  }
  if (classesOf(spec) !== CLASSES) {
    throw new Error(
      `${source}: the last layer has ${classesOf(spec)} outputs; expected ${CLASSES} (one per digit class)`,
    );
  }
}
