import type { Optimizer, OptimizerSpec } from "../core/optimizer.ts";
import { optimizerFor } from "../core/optimizer.ts";
import { WASM_BASE64 } from "./rmsprop-simd.wasm.ts";

/**
 * RMSprop's fused reduce + update (`rmspropUpdateSum`) as a WebAssembly SIMD kernel over a
 * shared `WebAssembly.Memory`: bit for bit the JS loop's result (rmsprop-simd.wat says how),
 * about twice as fast. Every array it is given must be a view of that memory, the gradient
 * rows evenly spaced (as the shared plane lays them out).
 */
export function simdRmsprop(memory: WebAssembly.Memory, spec: OptimizerSpec): Optimizer {
  const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
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

let compiled: WebAssembly.Module | undefined;

/** Compiled once per realm; small enough for the synchronous constructor everywhere. */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(kernelBytes());
  return compiled;
}

export function kernelBytes(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
}

/** Why the SIMD kernel cannot run in this runtime, or undefined when it can. */
export function simdUnavailable(): string | undefined {
  if (typeof WebAssembly === "undefined") return "no WebAssembly";
  if (!WebAssembly.validate(kernelBytes())) return "WebAssembly SIMD (128-bit) is not supported";
  return undefined;
}
