import { expect, test } from "bun:test";
import { initParams } from "../../src/core/model/init.ts";
import { mlpSpec } from "../../src/core/model/presets.ts";
import { Rng } from "../../src/core/rng.ts";
import { paramLayout } from "./dense-stack.ts";
import {
  finiteDifferences,
  maxErrorRelativeToPeak,
  referenceGradient,
  referenceLoss,
} from "./reference.ts";

const [inputSize, classes] = [6, 3];
const spec = mlpSpec([5, 4], inputSize, classes);
const layout = paramLayout(spec);
const rng = Rng.fromSeed(7);
const batch = 8;
const x = Array.from({ length: batch }, () => Array.from({ length: inputSize }, () => rng.next()));
const labels = Array.from({ length: batch }, () => rng.int(classes));
// The last two rows are padding, as in a partial batch: zero weight, masked out of accuracy.
const weights = x.map((_, i) => (i < batch - 2 ? 1 / (batch - 2) : 0));
const params = initParams(spec, 3);
// Non-zero biases so every term of the backward pass is exercised.
for (const l of layout.layers)
  for (let u = 0; u < l.units; u++) params[l.biasOffset + u] = 0.1 * (rng.next() - 0.5);

test("the float64 backprop reference agrees with finite differences (it checks train())", () => {
  // `weights` is the mean over the first batch − 2 samples, which is what referenceGradient takes.
  const real = batch - 2;
  const fd = finiteDifferences(layout, params, x, labels, weights);
  const { loss, grad } = referenceGradient(layout, params, x.slice(0, real), labels.slice(0, real));
  expect(maxErrorRelativeToPeak(grad, fd)).toBeLessThanOrEqual(1e-7);
  expect(loss).toBeCloseTo(referenceLoss(layout, params, x, labels, weights), 12);
  expect(Math.max(...grad.map(Math.abs))).toBeGreaterThan(1e-3);
});
