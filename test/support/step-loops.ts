/**
 * The plain-TS loops that src/wasm/step-ops.wat's SIMD kernels replace, on row-major float32
 * matrices: the references the kernels are checked against bit for bit.
 */

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
