import { allocateSharedPlane, SharedPlane } from "../../src/collective/shared-memory.ts";
import { rmsprop } from "../../src/core/optim/optimizer.ts";
import { rmspropUpdateSum } from "../../src/core/optim/rmsprop.ts";

/**
 * Runs one step of `workers` worker threads over a shared plane (posted to each, as the
 * trainer posts it) and returns what each used for the update and whether the weights and
 * state equal the JS loop's, bit for bit. Runs under Bun and Deno.
 */
export async function stepOnWorkers(workers: number, paramCount: number) {
  const spec = rmsprop();
  const buffers = allocateSharedPlane(workers, paramCount, ["meanSquare"]);
  const plane = new SharedPlane(buffers);
  const wave = (scale: number, phase: number) =>
    Float32Array.from({ length: paramCount }, (_, i) => scale * Math.sin(i * 0.37 + phase));
  const params = wave(1, 0);
  const meanSquare = wave(0.01, 1).map(Math.abs);
  const grads = Array.from({ length: workers }, (_, w) => wave(0.3, 2 + w));
  plane.load(0, params, [meanSquare]);
  const kernels = await Promise.all(
    grads.map((gradient, slot) => {
      const worker = new Worker(new URL("./plane-worker.ts", import.meta.url).href, {
        type: "module",
      });
      return new Promise<string>((resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data.kernel);
        worker.onerror = (event) => reject(new Error(event.message));
        worker.postMessage({ buffers, slot, spec, gradient });
      }).finally(() => worker.terminate());
    }),
  );
  const expected = [new Float32Array(paramCount), new Float32Array(paramCount)];
  rmspropUpdateSum(spec, grads, params, meanSquare, expected[0], expected[1], 0, paramCount);
  const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
  return {
    memory: buffers.memory.constructor.name,
    kernels,
    stepsDone: plane.stepsDone,
    identical: same(plane.params(1), expected[0]) && same(plane.state(1)[0], expected[1]),
  };
}
