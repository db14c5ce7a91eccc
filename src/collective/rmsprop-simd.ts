import type { Optimizer, OptimizerSpec } from "../core/optimizer.ts";
import { optimizerFor } from "../core/optimizer.ts";
import { KernelModule } from "../wasm/kernel-module.ts";
import { WASM_BASE64 } from "./rmsprop-simd.wasm.ts";

export const RMSPROP_KERNEL = new KernelModule(WASM_BASE64, "SIMD (128-bit)");

/**
 * RMSprop's fused reduce + update (`rmspropUpdateSum`) as a WebAssembly SIMD kernel over a
 * shared `WebAssembly.Memory`: bit for bit the JS loop's result (rmsprop-simd.wat says how),
 * about twice as fast. Every array it is given must be a view of that memory, the gradient
 * rows evenly spaced (as the shared plane lays them out).
 */
export function simdRmsprop(memory: WebAssembly.Memory, spec: OptimizerSpec): Optimizer {
  const instance = new WebAssembly.Instance(RMSPROP_KERNEL.module(), { env: { memory } });
  const kernel = instance.exports.rmspropUpdateSum as RmspropKernel;
  const { learningRate, rho, epsilon } = spec;
  const decay = 1 - rho;
  return {
    ...optimizerFor(spec),
    update(grads, params, state, nextParams, nextState, lo, hi) {
      const arrays = [...grads, params, state[0], nextParams, nextState[0]];
      if (arrays.some((a) => a.buffer !== memory.buffer)) {
        throw new Error("simdRmsprop: every array must be a view of the kernel's memory");
      }
      const stride = grads.length > 1 ? grads[1].byteOffset - grads[0].byteOffset : 0;
      if (grads.some((g, r) => g.byteOffset !== grads[0].byteOffset + r * stride)) {
        throw new Error("simdRmsprop: the gradient rows must be evenly spaced");
      }
      kernel(
        grads[0].byteOffset,
        grads.length,
        stride,
        params.byteOffset,
        state[0].byteOffset,
        nextParams.byteOffset,
        nextState[0].byteOffset,
        lo,
        hi,
        learningRate,
        rho,
        decay,
        epsilon,
      );
    },
  };
}

type RmspropKernel = (
  grads: number,
  rows: number,
  stride: number,
  params: number,
  meanSquare: number,
  nextParams: number,
  nextMeanSquare: number,
  lo: number,
  hi: number,
  learningRate: number,
  rho: number,
  decay: number,
  epsilon: number,
) => void;
