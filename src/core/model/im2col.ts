import { tapScratch, type WindowGrid, windowTaps } from "./window-grid.ts";

/**
 * im2col: every window of `x` (`[B, H, W, cin]`, channels-last) as one row of `out`,
 * `[B·oh·ow, kh·kw·cin]`, its columns ordered (i, j, ci) as a `[kh, kw, cin, cout]` kernel
 * reshaped to `[kh·kw·cin, cout]`, so a conv is one product out·K. Taps on padding are zero.
 * Each tap copies its `cin` contiguous channels; the adjoint is col2im.ts.
 */
export function im2colInto(x: Float32Array, batch: number, g: WindowGrid, out: Float32Array): void {
  const taps = g.kh * g.kw * g.c;
  const rows = batch * g.oh * g.ow;
  const plane = g.h * g.w * g.c;
  if (x.length !== batch * plane || out.length !== rows * taps) {
    throw new RangeError(
      `im2col: expected ${batch * plane} inputs and ${rows}×${taps} outputs, got ${x.length} and ${out.length}`,
    );
  }
  const inside = tapScratch(g);
  const full = 2 * g.kh * g.kw;
  let row = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const n = windowTaps(g, oy, ox, inside);
        // A window that reaches into the padding leaves some columns unwritten: zero them.
        if (n < full) out.fill(0, row * taps, (row + 1) * taps);
        copyWindow(x, b * plane, inside, n, g.c, out, row * taps);
        row++;
      }
    }
  }
}

function copyWindow(
  x: Float32Array,
  base: number,
  inside: Int32Array,
  n: number,
  c: number,
  out: Float32Array,
  start: number,
): void {
  for (let t = 0; t < n; t += 2) {
    copyChannels(x, base + inside[t + 1] * c, out, start + inside[t] * c, c);
  }
}

function copyChannels(x: Float32Array, p: number, out: Float32Array, q: number, c: number): void {
  for (let ci = 0; ci < c; ci++) out[q + ci] = x[p + ci];
}
