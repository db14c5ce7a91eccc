import { type ModelSpec, ModelSpecError, modelLayout } from "../../src/core/model/sequential.ts";

/**
 * An MLP seen as a stack of Dense layers with bias (ReLU hidden layers, a softmax output):
 * each layer's widths and where its kernel `[inputs × units]` and bias sit in the flat
 * vector: how the plain float64 references (reference.ts) index an MLP's parameters.
 */
export interface DenseLayerLayout {
  readonly inputs: number;
  readonly units: number;
  readonly activation: "relu" | "softmax";
  /** Offset (in floats) of the kernel in the flat vector. */
  readonly kernelOffset: number;
  /** Offset (in floats) of the bias in the flat vector. */
  readonly biasOffset: number;
}

export interface ParamLayout {
  readonly layers: readonly DenseLayerLayout[];
  /** Total number of parameters. */
  readonly size: number;
}

/** The Dense-stack layout of `spec`; throws naming the first layer that is not one. */
export function paramLayout(spec: ModelSpec): ParamLayout {
  const layout = modelLayout(spec);
  const last = layout.layers.length - 1;
  const layers = layout.layers.map((layer, i): DenseLayerLayout => {
    const s = layer.spec;
    const activation = i === last ? "softmax" : "relu";
    if (s.kind !== "dense" || !s.useBias || s.activation !== activation) {
      throw new ModelSpecError(
        `layer ${i} ("${layer.name}"): a Dense stack needs Dense layers with bias, ReLU then a softmax output`,
      );
    }
    const [kernel, bias] = layer.weights;
    const inputs = layer.inputShape[0];
    return {
      inputs,
      units: s.units,
      activation,
      kernelOffset: kernel.offset,
      biasOffset: bias.offset,
    };
  });
  return { layers, size: layout.size };
}
