import type { Optimizer, OptimizerSpec } from "../core/optim/optimizer.ts";
import { optimizerFor } from "../core/optim/optimizer.ts";
import { KernelModule } from "../wasm/kernel-module.ts";
import { WASM_BASE64 as ADAGRAD } from "./adagrad-simd.wasm.ts";
import { WASM_BASE64 as ADAM } from "./adam-simd.wasm.ts";
import { WASM_BASE64 as RMSPROP } from "./rmsprop-simd.wasm.ts";
import { WASM_BASE64 as SGD } from "./sgd-simd.wasm.ts";

const simd = (base64: string) => new KernelModule(base64, "SIMD (128-bit)");

/** Each optimizer's fused reduce + update kernels (the `.wat` files beside this one). */
export const OPTIMIZER_KERNELS = {
  rmsprop: simd(RMSPROP),
  adam: simd(ADAM),
  sgd: simd(SGD),
  adagrad: simd(ADAGRAD),
} as const;

/** The module and export that run `spec`'s update. */
function kernelOf(spec: OptimizerSpec): [KernelModule, string] {
  switch (spec.type) {
    case "rmsprop":
      return [OPTIMIZER_KERNELS.rmsprop, "rmspropUpdateSum"];
    case "adam":
    case "adamw":
      return [OPTIMIZER_KERNELS.adam, "adamUpdateSum"];
    case "sgd":
      return [OPTIMIZER_KERNELS.sgd, spec.momentum === 0 ? "sgdUpdateSum" : "momentumUpdateSum"];
    case "adagrad":
      return [OPTIMIZER_KERNELS.adagrad, "adagradUpdateSum"];
  }
}

/** Why `spec`'s SIMD kernel cannot run here, or undefined when it can. */
export function simdUnavailable(spec: OptimizerSpec): string | undefined {
  return kernelOf(spec)[0].unavailable();
}

/**
 * An optimizer's fused reduce + update (`optimizerFor(spec).update`) as a WebAssembly SIMD
 * kernel over a shared `WebAssembly.Memory`: bit for bit the TS loop's result (each `.wat`
 * says how), with the step's constants computed once in TS (`Optimizer.constants`). Every
 * array it is given must be a view of that memory, the gradient rows evenly spaced (as the
 * shared plane lays them out). The kernels take pairs of elements; an odd last one is
 * updated by the TS loop.
 */
export function simdOptimizer(memory: WebAssembly.Memory, spec: OptimizerSpec): Optimizer {
  const reference = optimizerFor(spec);
  const [module, name] = kernelOf(spec);
  const instance = new WebAssembly.Instance(module.module(), { env: { memory } });
  const kernel = instance.exports[name] as (...args: number[]) => void;
  return {
    ...reference,
    update(grads, params, state, nextParams, nextState, lo, hi, step) {
      const arrays = [...grads, params, ...state, nextParams, ...nextState];
      if (arrays.some((a) => a.buffer !== memory.buffer)) {
        throw new Error("simdOptimizer: every array must be a view of the kernel's memory");
      }
      const stride = grads.length > 1 ? grads[1].byteOffset - grads[0].byteOffset : 0;
      if (grads.some((g, r) => g.byteOffset !== grads[0].byteOffset + r * stride)) {
        throw new Error("simdOptimizer: the gradient rows must be evenly spaced");
      }
      const pairsEnd = lo + ((hi - lo) & ~1);
      kernel(
        ...[grads[0].byteOffset, grads.length, stride],
        ...[params, ...state, nextParams, ...nextState].map((a) => a.byteOffset),
        ...[lo, pairsEnd],
        ...reference.constants(step),
      );
      if (pairsEnd < hi) {
        reference.update(grads, params, state, nextParams, nextState, pairsEnd, hi, step);
      }
    },
  };
}
