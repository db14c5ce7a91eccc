import { tapScratch, type WindowGrid, windowTaps } from "./window-grid.ts";

/**
 * MaxPooling2D forward on float32 arrays, channels-last: each window's maximum over its taps
 * inside the input (padding never wins, as in TensorFlow). The training step's pooling; the
 * gradient is max-pool-gradient.ts, which finds the same maxima again.
 */
export function maxPoolInto(x: Float32Array, batch: number, g: WindowGrid, out: Float32Array) {
  const plane = g.h * g.w * g.c;
  const outputs = batch * g.oh * g.ow * g.c;
  if (x.length !== batch * plane || out.length !== outputs) {
    throw new RangeError(
      `maxPool: expected ${batch * plane} inputs and ${outputs} outputs, got ${x.length} and ${out.length}`,
    );
  }
  const inside = tapScratch(g);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const n = windowTaps(g, oy, ox, inside);
        windowMaxima(x, b * plane, inside, n, g.c, out, o);
        o += g.c;
      }
    }
  }
}

/** out[o + ch] = the window's maximum of channel ch, for every channel (contiguous in NHWC). */
function windowMaxima(
  x: Float32Array,
  base: number,
  inside: Int32Array,
  n: number,
  c: number,
  out: Float32Array,
  o: number,
): void {
  const first = base + inside[1] * c;
  for (let ch = 0; ch < c; ch++) out[o + ch] = x[first + ch];
  for (let t = 3; t < n; t += 2) raiseTo(x, base + inside[t] * c, c, out, o);
}

function raiseTo(x: Float32Array, p: number, c: number, out: Float32Array, o: number): void {
  for (let ch = 0; ch < c; ch++) if (x[p + ch] > out[o + ch]) out[o + ch] = x[p + ch];
}
