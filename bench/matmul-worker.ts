/**
 * Worker for the parallel-scaling probe (bench/parallel.ts): runs the forward matMul of a
 * 64-sample worker step (64×784 · 784×512) on its own tfjs-wasm instance for a fixed time.
 */
import { tf, useWasmBackend } from "../src/tf/backend.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent<{ ms: number }>) => {
  await useWasmBackend();
  const x = tf.randomUniform([64, 784]) as tf.Tensor2D;
  const w = tf.randomUniform([784, 512]) as tf.Tensor2D;
  for (let i = 0; i < 20; i++) tf.matMul(x, w).dispose();
  // Start together: the parent posts "go" to every worker once all are warm.
  self.postMessage({ ready: true });
  await new Promise<void>((resolve) => {
    self.onmessage = () => resolve();
  });
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < event.data.ms) {
    tf.matMul(x, w).dispose();
    calls++;
  }
  self.postMessage({ msPerCall: (performance.now() - t0) / calls });
  tf.dispose([x, w]);
};
