import { type SampleSet, sampleSize } from "./dataset.ts";

/**
 * Why `set` cannot train a model of `inputSize` inputs and `units` outputs, or undefined when
 * it can: each sample holds `inputSize` values; class indices need one output per class (or
 * one sigmoid output for two classes), target rows one output per value.
 */
export function dataMismatch(set: SampleSet, inputSize: number, units: number): string | undefined {
  const size = sampleSize(set);
  if (size !== inputSize) {
    return `the samples hold ${size} values each (shape [${set.sampleShape.join(", ")}]), the model expects ${inputSize} inputs`;
  }
  const y = set.y;
  if (y.kind === "classes") {
    if (units === y.classes || (units === 1 && y.classes === 2)) return undefined;
    return `the data has ${y.classes} classes, the model has ${units} outputs: expected ${y.classes}${y.classes === 2 ? " (or 1 sigmoid output)" : ""}`;
  }
  if (units === y.width) return undefined;
  return `the targets are rows of ${y.width} values, the model has ${units} outputs: expected ${y.width}`;
}
