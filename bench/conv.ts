/**
 * Conv2D forward/backward throughput on tfjs-wasm for the convnet's three conv layers
 * (`bun bench/conv.ts [batch]`): tf.conv2d vs src/tf/conv2d.ts's im2col forward, and its
 * forward + hand-derived backward (kernel, bias and, past the first layer, input gradients).
 * Then the whole convnet step of src/tf/sequential.ts. Median of 20 runs each. FLOPs count 2·B·oh·ow·kh·kw·cin·cout per product (forward, dK, dX).
 */
import { initSequentialParams } from "../src/core/model/init.ts";
import { CONVNET_SPEC } from "../src/core/model/presets.ts";
import { conv2d, sequentialLayout } from "../src/core/model/sequential.ts";
import { tf, useWasmBackend } from "../src/tf/backend.ts";
import { conv2dBackward, conv2dForward, convWindow, im2col } from "../src/tf/conv2d.ts";
import { sequentialLossAndGrads, sequentialTensors } from "../src/tf/sequential.ts";

const batch = Number(process.argv[2] ?? 32);
await useWasmBackend();

function median(run: () => tf.Tensor | tf.Tensor[], reps = 20): number {
  const once = () => {
    const t0 = performance.now();
    const out = run();
    for (const t of [out].flat()) t.dataSync();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  for (let i = 0; i < 5; i++) once();
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return times[Math.floor(reps / 2)];
}

const shapes: [number, number, number, number][] = [
  [28, 28, 1, 32],
  [13, 13, 32, 64],
  [5, 5, 64, 64],
];
let total = { ms: 0, flops: 0 };
for (const [h, w, cin, cout] of shapes) {
  const layer = conv2d(cout, 3);
  const x = tf.randomNormal([batch, h, w, cin]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, cin, cout]) as tf.Tensor4D;
  const b = tf.zeros([cout]) as tf.Tensor1D;
  const [oh, ow] = [h - 2, w - 2];
  const dz = tf.randomNormal([batch, oh, ow, cout]) as tf.Tensor4D;
  // im2col's columns are (c, i, j): the kernel in that order.
  const kernelRows = tf.reshape(tf.transpose(k, [2, 0, 1, 3]), [9 * cin, cout]);
  const flops = 2 * batch * oh * ow * 9 * cin * cout;
  const fwdConv = median(() => tf.conv2d(x, k, 1, "valid"));
  const fwd = median(() =>
    tf.tidy(() => tf.add(tf.matMul(im2col(x, convWindow(layer)), kernelRows), b)),
  );
  const full = median(() =>
    tf.tidy(() => {
      const z = conv2dForward(x, k, b, layer);
      const g = conv2dBackward(x, k, dz, layer, { bias: true, inputGradient: cin > 1 });
      return [z, g.kernel, g.bias!, ...(g.x ? [g.x] : [])];
    }),
  );
  const gf = (ms: number, n = 1) => ((n * flops) / ms / 1e6).toFixed(2);
  console.log(
    `${h}×${w}×${cin}→${cout}: forward tf.conv2d ${fwdConv.toFixed(2)} ms (${gf(fwdConv)} GFLOP/s), ` +
      `forward im2col·K ${fwd.toFixed(2)} ms (${gf(fwd)}), ` +
      `forward+backward ${full.toFixed(2)} ms (${gf(full, cin > 1 ? 3 : 2)} GFLOP/s)`,
  );
  total = { ms: total.ms + full, flops: total.flops + flops * (cin > 1 ? 3 : 2) };
  tf.dispose([x, k, b, dz, kernelRows]);
}
console.log(
  `batch ${batch}: conv forward+backward ${total.ms.toFixed(2)} ms, ${(total.flops / total.ms / 1e6).toFixed(2)} GFLOP/s`,
);

// The whole convnet step (forward, loss, every gradient) as a worker would run it.
const layout = sequentialLayout(CONVNET_SPEC);
const params = sequentialTensors(layout, initSequentialParams(layout, 1));
const x = tf.randomUniform([batch, 784]);
const y = tf
  .oneHot(tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D, 10)
  .toFloat() as tf.Tensor2D;
const w = tf.fill([batch], 1 / batch) as tf.Tensor1D;
const mask = tf.ones([batch]) as tf.Tensor1D;
const stepMs = median(() => {
  const r = sequentialLossAndGrads(layout, params, x, y, w, mask);
  return [r.loss, r.correct, ...r.grads];
});
console.log(
  `convnet step (batch ${batch}, wasm, one thread): ${stepMs.toFixed(2)} ms, ${Math.round((batch / stepMs) * 1000)} samples/s`,
);
tf.dispose([...params, x, y, w, mask]);
