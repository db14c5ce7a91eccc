// Run by `deno test -A test/deno/` (npm test runs it): the wasm gemm under V8, which lowers
// f32x4.relaxed_madd to a fused multiply-add on an FMA CPU (JavaScriptCore, under Bun, does not
// fuse it, so only here can the two builds be told apart).
import assert from "node:assert/strict";
import { Gemm } from "../../src/wasm/gemm.ts";
import { float32MulThenAdd } from "../support/matmul.ts";
import { mulberry } from "../support/random.ts";

// The type checker runs with bun-types; Deno's own test API is all this file needs.
declare const Deno: { test(name: string, fn: () => void): void };

/** 13×37 · 37×21 of random floats through one build: its C and the float32 mul-then-add C. */
function product(fma: boolean) {
  const [m, k, n] = [13, 37, 21];
  const rand = mulberry(5);
  const aValues = Float32Array.from({ length: m * k }, () => rand() - 0.5);
  const bValues = Float32Array.from({ length: k * n }, () => rand() - 0.5);
  const gemm = new Gemm();
  const c = gemm.matrix(m, n);
  gemm.multiply(gemm.matrix(m, k, aValues), gemm.pack(gemm.matrix(k, n, bValues)), c, { fma });
  return {
    ours: Array.from(gemm.view(c)),
    mulThenAdd: Array.from(float32MulThenAdd(aValues, bValues, m, k, n)),
  };
}

Deno.test("gemm under Deno: the mul+add build rounds like float32 multiply then add", () => {
  const { ours, mulThenAdd } = product(false);
  assert.deepEqual(ours, mulThenAdd);
});

Deno.test("gemm under Deno: the relaxed_madd build fuses (on a CPU with FMA)", () => {
  const x = 1 + 2 ** -12; // x² = 1 + 2⁻¹¹ + 2⁻²⁴: a fused x·x − (1 + 2⁻¹¹) keeps the 2⁻²⁴
  const gemm = new Gemm();
  const c = gemm.matrix(1, 1, [-(1 + 2 ** -11)]);
  gemm.multiply(gemm.matrix(1, 1, [x]), gemm.matrix(1, 1, [x]), c, { accumulate: true });
  assert.equal(gemm.view(c)[0], 2 ** -24);
  const { ours, mulThenAdd } = product(true);
  assert.notDeepEqual(ours, mulThenAdd);
});
