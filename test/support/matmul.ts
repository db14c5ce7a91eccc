/** Plain-JS matrix products (row-major A [m×k], B [k×n]) to test the wasm gemm against. */

/** C = A·B (+ C0) in float64, k in order, and Σ|aᵢbᵢ| (+ |c0|): the scale of rounding errors. */
export function float64Product(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  c0?: Float32Array,
): { c: Float64Array; bound: Float64Array } {
  const c = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = c0 ? c0[i * n + j] : 0;
      let abs = Math.abs(sum);
      for (let p = 0; p < k; p++) {
        const product = a[i * k + p] * b[p * n + j];
        sum += product;
        abs += Math.abs(product);
      }
      c[i * n + j] = sum;
      bound[i * n + j] = abs;
    }
  }
  return { c, bound };
}

/** C = A·B with float32 rounding after every multiply and every add, k in order. */
export function float32MulThenAdd(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum = Math.fround(sum + Math.fround(a[i * k + p] * b[p * n + j]));
      c[i * n + j] = sum;
    }
  }
  return c;
}
