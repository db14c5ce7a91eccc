/**
 * The matrix products of a training step, m×k · k×n, that the gemm is measured (bench/gemm.ts)
 * and tested (test/wasm/gemm.test.ts) at: the MLP's first layer forward and kernel gradient
 * with 64 and 128 rows per worker, and the convnet's largest im2col products at batch 32.
 */
export const TRAINING_PRODUCTS: readonly (readonly [m: number, k: number, n: number])[] = [
  [64, 512, 512],
  [512, 64, 512],
  [128, 512, 512],
  [3872, 288, 64],
  [288, 64, 576],
  [32, 576, 64],
];
