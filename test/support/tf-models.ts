import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../../src/core/dataset.ts";
import type { ModelJson } from "../../src/core/model/layers-json.ts";
import { WEIGHTS_FILE } from "../../src/core/model/layers-json.ts";

/**
 * tfjs reference models for checking the plain-TS forward pass, built without the trainer:
 * a tf.sequential Dense stack (briefly fitted so its weights are realistic) saved through
 * tf.io.withSaveHandler to exactly what tfjs would write as model.json + weights.bin.
 */

export interface TfReference {
  readonly model: tf.LayersModel;
  /** What tfjs writes as model.json. */
  readonly modelJson: ModelJson;
  /** What tfjs writes as weights.bin. */
  readonly weights: Uint8Array;
}

/** Scaled inputs (pixels / 255) of samples `[0, count)` as a 2-D tensor. */
export function inputsTensor(set: ImageSet, count: number, start = 0): tf.Tensor2D {
  const px = set.rows * set.cols;
  const x = new Float32Array(count * px);
  const src = set.images.subarray(start * px, (start + count) * px);
  for (let i = 0; i < x.length; i++) x[i] = src[i] / 255;
  return tf.tensor2d(x, [count, px]);
}

export async function buildTfReference(
  hidden: number[],
  train: ImageSet,
  fitSamples: number,
): Promise<TfReference> {
  await tf.setBackend("cpu");
  const model = tf.sequential();
  const px = train.rows * train.cols;
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({ units, activation: "relu", ...(i === 0 ? { inputShape: [px] } : {}) }),
    );
  });
  model.add(
    tf.layers.dense({
      units: 10,
      activation: "softmax",
      ...(hidden.length === 0 ? { inputShape: [px] } : {}),
    }),
  );
  model.compile({ optimizer: tf.train.rmsprop(0.001), loss: "categoricalCrossentropy" });
  if (fitSamples > 0) {
    const x = inputsTensor(train, fitSamples);
    const y = tf.oneHot(tf.tensor1d(train.labels.subarray(0, fitSamples), "int32"), 10);
    await model.fit(x, y, { epochs: 1, batchSize: 128, verbose: 0 });
    tf.dispose([x, y]);
  }
  // The optimizer's slot variables outlive model.dispose(); free them so callers can check
  // tf.memory().numTensors.
  model.optimizer.dispose();
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (!saved?.weightData || !saved.weightSpecs) throw new Error("tfjs saved no weights");
  const data = saved.weightData;
  const weights = new Uint8Array(
    data instanceof ArrayBuffer ? data : await new Blob(data as ArrayBuffer[]).arrayBuffer(),
  );
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
  } as unknown as ModelJson;
  return { model, modelJson, weights };
}

/** tfjs's flattened weights (kernel₀, bias₀, …) as one Float32Array. */
export function tfFlatWeights(model: tf.LayersModel): Float32Array {
  const parts = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
