import { mlpWidths } from "./presets.ts";
import { kerasClass, type LayerSpec, type ModelSpec } from "./sequential.ts";

/** One layer in a line, Keras-style: `Conv2D(32, 3×3, relu)`, `MaxPooling2D(2×2)`, `Dense(10, softmax)`. */
export function describeLayer(layer: LayerSpec): string {
  const cls = kerasClass(layer.kind);
  const act = (a: string) => (a === "linear" ? "" : `, ${a}`);
  switch (layer.kind) {
    case "conv2d": {
      const [kh, kw] = layer.kernelSize;
      const [sh, sw] = layer.strides;
      const strides = sh === 1 && sw === 1 ? "" : `, strides ${sh}×${sw}`;
      const padding = layer.padding === "same" ? ", same" : "";
      return `${cls}(${layer.filters}, ${kh}×${kw}${strides}${padding}${act(layer.activation)})`;
    }
    case "maxPooling2d":
      return `${cls}(${layer.poolSize.join("×")})`;
    case "dense":
      return `${cls}(${layer.units}${act(layer.activation)})`;
    case "dropout":
      return `${cls}(${layer.rate})`;
    case "reshape":
      return `${cls}(${layer.targetShape.join("×")})`;
    case "flatten":
      return cls;
  }
}

/**
 * `784→512→10` for an MLP (its widths, as shardfit has always named it);
 * `28×28×1 → Conv2D(32, 3×3, relu) → … → Dense(10, softmax)` for anything else.
 */
export function describeSpec(spec: ModelSpec): string {
  const widths = mlpWidths(spec);
  if (widths) return widths.join("→");
  return [spec.inputShape.join("×"), ...spec.layers.map(describeLayer)].join(" → ");
}
