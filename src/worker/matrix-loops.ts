import type { Batch } from "./batch.ts";

/**
 * The plain loops around the gemm products of a training step (dense-gemm.ts,
 * sequential-gemm.ts), on row-major float32 matrices: transposes, bias, ReLU and its
 * gradient, column sums, and the softmax cross-entropy that starts the backward pass. Each
 * hot loop is its own small function, which the JITs optimise best.
 */

/**
 * Softmax cross-entropy of `logits` (`capacity × classes`) against the batch's one-hot labels,
 * weighted per row; writes dz = wᵢ·(softmax(zᵢ) − yᵢ). Returns the weighted loss and the real
 * rows whose first maximum is the label.
 */
export function softmaxCrossEntropyInto(
  logits: Float32Array,
  batch: Batch,
  dz: Float32Array,
): { loss: number; correct: number } {
  const classes = logits.length / batch.capacity;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < batch.capacity; i++) {
    const row = softmaxRow(logits, i * classes, classes, batch.y, batch.weights[i], dz);
    loss += row.loss;
    if (batch.mask[i] > 0 && row.hit) correct++;
  }
  return { loss, correct };
}

/** dst[c·rows + r] = src[r·cols + c]: a rows × cols matrix transposed. */
export function transposeInto(
  src: Float32Array,
  rows: number,
  cols: number,
  dst: Float32Array,
): void {
  for (let r = 0; r < rows; r++) transposeRow(src, r * cols, cols, dst, r, rows);
}

function transposeRow(
  src: Float32Array,
  from: number,
  cols: number,
  dst: Float32Array,
  r: number,
  rows: number,
): void {
  for (let c = 0; c < cols; c++) dst[c * rows + r] = src[from + c];
}

export function addBiasRows(
  z: Float32Array,
  params: Float32Array,
  bias: number,
  units: number,
): void {
  for (let i = 0; i < z.length; i += units) addBias(z, i, params, bias, units);
}

function addBias(z: Float32Array, at: number, params: Float32Array, bias: number, units: number) {
  for (let u = 0; u < units; u++) z[at + u] += params[bias + u];
}

export function reluInPlace(v: Float32Array): void {
  for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
}

/** dz = da where the ReLU's output is positive, else 0. */
export function reluGradientInto(da: Float32Array, output: Float32Array, dz: Float32Array): void {
  for (let i = 0; i < dz.length; i++) dz[i] = output[i] > 0 ? da[i] : 0;
}

/**
 * One row's weighted cross-entropy −w·log softmax(z)[label] (in float64), whether its argmax
 * (the first maximum) is the label, and its gradient w·(softmax(z) − y) into `dz`.
 */
function softmaxRow(
  z: Float32Array,
  at: number,
  classes: number,
  oneHot: Float32Array,
  weight: number,
  dz: Float32Array,
): { loss: number; hit: boolean } {
  let best = at;
  for (let k = at + 1; k < at + classes; k++) if (z[k] > z[best]) best = k;
  let sum = 0;
  for (let k = at; k < at + classes; k++) sum += Math.exp(z[k] - z[best]);
  const logSum = Math.log(sum);
  let loss = 0;
  let label = at;
  for (let k = at; k < at + classes; k++) {
    const logP = z[k] - z[best] - logSum;
    if (oneHot[k] > 0) label = k;
    loss -= oneHot[k] * logP;
    dz[k] = weight * (Math.exp(logP) - oneHot[k]);
  }
  return { loss: weight * loss, hit: best === label };
}

export function columnSumsInto(
  m: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  at: number,
): void {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) addRow(sums, m, r * cols, cols);
  for (let c = 0; c < cols; c++) out[at + c] = sums[c];
}

function addRow(sums: Float64Array, m: Float32Array, from: number, cols: number): void {
  for (let c = 0; c < cols; c++) sums[c] += m[from + c];
}
