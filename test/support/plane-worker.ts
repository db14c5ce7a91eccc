// A worker that joins a shared plane as one slot and does one reduce + update; used by
// test/support/plane-workers.ts to check the plane and its wasm memory cross into workers.
import {
  SharedMemoryCollective,
  type SharedPlaneBuffers,
} from "../../src/collective/shared-memory.ts";
import type { OptimizerSpec } from "../../src/core/optim/optimizer.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent) => {
  const { buffers, slot, spec, gradient } = event.data as {
    buffers: SharedPlaneBuffers;
    slot: number;
    spec: OptimizerSpec;
    gradient: Float32Array;
  };
  const collective = new SharedMemoryCollective(buffers, slot, spec);
  collective.gradient.set(gradient);
  await collective.reduceAndUpdate(0);
  self.postMessage({ kernel: collective.updateKernel });
};
