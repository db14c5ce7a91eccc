import { tapScratch, type WindowGrid, windowTaps } from "./window-grid.ts";

/**
 * col2im: adds each window's column row back onto the input grid it was read from, the
 * adjoint of im2col. `cols` is `[B·oh·ow, kh·kw·cin]`, its columns ordered (i, j, ci) as a
 * `[kh, kw, cin, cout]` kernel reshaped to `[kh·kw·cin, cout]`; returns `[B, H, W, cin]`.
 * With cols = dz·Kᵀ this is a conv's ∂loss/∂x; taps that fall on padding are dropped.
 */
export function col2im(cols: Float32Array, batch: number, g: WindowGrid): Float32Array {
  const dx = new Float32Array(batch * g.h * g.w * g.c);
  col2imInto(cols, batch, g, dx);
  return dx;
}

/** {@link col2im} into `dx` (`B·H·W·cin` values), which it overwrites. */
export function col2imInto(cols: Float32Array, batch: number, g: WindowGrid, dx: Float32Array) {
  const taps = g.kh * g.kw * g.c;
  const rows = batch * g.oh * g.ow;
  const plane = g.h * g.w * g.c;
  if (cols.length !== rows * taps) {
    throw new RangeError(
      `col2im: expected ${rows}×${taps} values for the windows, got ${cols.length}`,
    );
  }
  if (dx.length !== batch * plane) {
    throw new RangeError(`col2im: dx has ${dx.length} values, expected ${batch * plane}`);
  }
  dx.fill(0, 0, batch * plane);
  const inside = tapScratch(g);
  let row = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        const n = windowTaps(g, oy, ox, inside);
        addWindowBack(dx, b * plane, cols, row * taps, inside, n, g.c);
        row++;
      }
    }
  }
}

function addWindowBack(
  dx: Float32Array,
  base: number,
  cols: Float32Array,
  start: number,
  inside: Int32Array,
  n: number,
  c: number,
): void {
  for (let t = 0; t < n; t += 2) {
    addChannels(dx, base + inside[t + 1] * c, cols, start + inside[t] * c, c);
  }
}

function addChannels(dx: Float32Array, p: number, cols: Float32Array, q: number, c: number): void {
  for (let ci = 0; ci < c; ci++) dx[p + ci] += cols[q + ci];
}
