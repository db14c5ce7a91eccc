import { describe, expect, test } from "bun:test";
import {
  allocateSharedPlane,
  planeLayout,
  SharedMemoryCollective,
  SharedPlane,
} from "../../src/collective/shared-memory.ts";
import { TIMING } from "../../src/collective/telemetry.ts";
import { rmsprop } from "../../src/core/optim/optimizer.ts";
import { stepOnWorkers } from "../support/plane-workers.ts";
import { maxAbsDiff } from "../support/reference.ts";

const N = 1000;
const ramp = (scale: number) => Float32Array.from({ length: N }, (_, i) => scale * Math.sin(i));

describe("shared-memory plane", () => {
  test.each([1, 2, 3, 7, 64])("the slices of %i workers cover every parameter once", (workers) => {
    const plane = new SharedPlane(allocateSharedPlane(workers, N, ["meanSquare"]));
    const owners = new Int32Array(N);
    for (let w = 0; w < workers; w++) {
      const [lo, hi] = plane.slice(w);
      for (let i = lo; i < hi; i++) owners[i]++;
    }
    expect(owners.every((count) => count === 1)).toBe(true);
  });

  test("one participant: reduceAndUpdate applies the optimizer into the next copy", async () => {
    const buffers = allocateSharedPlane(1, N, ["meanSquare"]);
    const coordinator = new SharedPlane(buffers);
    const params = ramp(1);
    const meanSquare = ramp(0.1).map(Math.abs);
    coordinator.load(4, params, [meanSquare]);
    const timings = new Float64Array(TIMING.width);
    const worker = new SharedMemoryCollective(buffers, 0, rmsprop(), timings);
    const grad = ramp(0.3);
    worker.gradient.set(grad);
    await worker.reduceAndUpdate(4);

    // Keras 2 RMSprop in float64, written out independently of src/core.
    const expectedState = Array.from(meanSquare, (m, i) => 0.9 * m + 0.1 * grad[i] ** 2);
    const expectedParams = Array.from(
      params,
      (p, i) => p - (1e-3 * grad[i]) / (Math.sqrt(expectedState[i]) + 1e-7),
    );
    expect(coordinator.stepsDone).toBe(5);
    expect(maxAbsDiff(coordinator.params(), expectedParams)).toBeLessThan(1e-6);
    expect(maxAbsDiff(coordinator.state()[0], expectedState)).toBeLessThan(1e-6);
    // Step 4's copy is left as it was, so a failed step can be redone from it.
    expect(coordinator.params(4)).toEqual(params);
    expect(coordinator.state(4)[0]).toEqual(meanSquare);
    expect(timings[TIMING.update]).toBeGreaterThan(0);
  });

  test("an aborted attempt's plane throws AbortedError at the next barrier", async () => {
    const buffers = allocateSharedPlane(2, N, ["meanSquare"]);
    const attempt = new AbortController();
    new SharedPlane(buffers).beginAttempt(attempt.signal);
    attempt.abort();
    const worker = new SharedMemoryCollective(buffers, 0, rmsprop());
    await expect(worker.reduceAndUpdate(0)).rejects.toMatchObject({ name: "AbortedError" });
  });

  test("the plane is one shared WebAssembly.Memory, updated by the wasm SIMD kernel", () => {
    const buffers = allocateSharedPlane(2, N, ["meanSquare"]);
    expect(buffers.memory).toBeInstanceOf(WebAssembly.Memory);
    expect((buffers.memory as WebAssembly.Memory).buffer).toBeInstanceOf(SharedArrayBuffer);
    const plane = new SharedPlane(buffers);
    expect(plane.params(1).buffer).toBe((buffers.memory as WebAssembly.Memory).buffer);
    expect(new SharedMemoryCollective(buffers, 1, rmsprop()).updateKernel).toBe("wasm-simd");
  });

  test("over a SharedArrayBuffer plane the JS loop updates, says why, and computes the same", async () => {
    const { bytes } = planeLayout(1, N, 1);
    const results = [];
    for (const buffers of [
      allocateSharedPlane(1, N, ["meanSquare"]),
      {
        workers: 1,
        paramCount: N,
        stateNames: ["meanSquare"],
        memory: new SharedArrayBuffer(bytes),
        memoryFallback: "RangeError: test",
      },
    ]) {
      const plane = new SharedPlane(buffers);
      plane.load(0, ramp(1), [ramp(0.1).map(Math.abs)]);
      const worker = new SharedMemoryCollective(buffers, 0, rmsprop());
      worker.gradient.set(ramp(0.3));
      await worker.reduceAndUpdate(0);
      results.push({
        kernel: worker.updateKernel,
        params: plane.params(),
        state: plane.state()[0],
      });
    }
    const [wasm, js] = results;
    expect(js.kernel).toBe("js (no shared WebAssembly.Memory: RangeError: test)");
    expect(wasm.params).toEqual(js.params);
    expect(wasm.state).toEqual(js.state);
  });

  test("crosses into worker threads: each updates its slice with the kernel, as the JS loop would", async () => {
    const result = await stepOnWorkers(2, 1001);
    expect(result).toEqual({
      memory: "Memory",
      kernels: ["wasm-simd", "wasm-simd"],
      stepsDone: 1,
      identical: true,
    });
  });
});
