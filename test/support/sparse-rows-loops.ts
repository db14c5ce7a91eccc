/**
 * The plain-TS loops that src/wasm/sparse-product.wat and sparse-gradient.wat replace: a batch
 * in CSR form (rowStart, index, value) times a row-major float32 kernel, and the kernel
 * gradient scattered into the rows the batch names. The references its kernels are checked against bit for bit.
 */

/** out[r] = Σ_k value[k]·w[index[k]] over r's entries in CSR order, from +0 (rows × units). */
export function sparseProductInto(
  rowStart: Int32Array,
  index: Int32Array,
  value: Float32Array,
  rows: number,
  w: Float32Array,
  units: number,
  out: Float32Array,
): void {
  out.fill(0, 0, rows * units);
  for (let r = 0; r < rows; r++) {
    for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
      axpy(value[k], w, index[k] * units, out, r * units, units);
    }
  }
}

/** dw = 0, then dw[index[k]] += value[k]·dz[r] over each sample r's entries, samples in order. */
export function sparseGradientInto(
  rowStart: Int32Array,
  index: Int32Array,
  value: Float32Array,
  rows: number,
  dz: Float32Array,
  units: number,
  dw: Float32Array,
): void {
  dw.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let k = rowStart[r]; k < rowStart[r + 1]; k++) {
      axpy(value[k], dz, r * units, dw, index[k] * units, units);
    }
  }
}

/** dst[to + i] += v·src[from + i]: the product rounded to float32, then the sum. */
function axpy(
  v: number,
  src: Float32Array,
  from: number,
  dst: Float32Array,
  to: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) dst[to + i] += Math.fround(v * src[from + i]);
}
