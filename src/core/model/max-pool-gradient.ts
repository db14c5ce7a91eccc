import { tapScratch, type WindowGrid, windowTaps } from "./window-grid.ts";

/**
 * ∂loss/∂x of MaxPooling2D, channels-last, on plain arrays: each window's dy goes to its
 * maximum, the first one in row-major order on a tie (TensorFlow's MaxPoolGrad), padding
 * never wins; overlapping windows add up. Plain TS because on tfjs-wasm the same routing
 * took six kernels (depthwise gather, argMax, one-hot, multiply, transpose, cast): 14 ms of a
 * 97 ms convnet step at batch 32, and wasm's own MaxPoolGrad is wrong (src/tf/max-pool.ts).
 */

/** dx for `x` (`[B, H, W, C]`) and dy (`[B, oh, ow, C]`) of the pooling `g` describes. */
export function maxPoolGradient(
  x: Float32Array,
  dy: Float32Array,
  batch: number,
  g: WindowGrid,
): Float32Array {
  const dx = new Float32Array(batch * g.h * g.w * g.c);
  maxPoolGradientInto(x, dy, batch, g, dx);
  return dx;
}

/** {@link maxPoolGradient} into `dx` (x's size), which it overwrites. */
export function maxPoolGradientInto(
  x: Float32Array,
  dy: Float32Array,
  batch: number,
  g: WindowGrid,
  dx: Float32Array,
): void {
  const plane = g.h * g.w * g.c;
  const outputs = batch * g.oh * g.ow * g.c;
  if (x.length !== batch * plane || dy.length !== outputs || dx.length !== x.length) {
    throw new RangeError(
      `maxPoolGradient: expected ${batch * plane} inputs and ${outputs} output gradients, got ${x.length} and ${dy.length}` +
        (dx.length === batch * plane ? "" : ` (and dx of ${dx.length})`),
    );
  }
  dx.fill(0);
  if (isTwoByTwoTiling(g)) {
    for (let b = 0; b < batch; b++) routeTwoByTwoTiles(x, dy, dx, b, g);
    return;
  }
  const winners = new Int32Array(g.c);
  const inside = tapScratch(g);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        findWinners(x, b * plane, inside, windowTaps(g, oy, ox, inside), g.c, winners);
        routeWindow(dx, dy, o, winners, g.c);
        o += g.c;
      }
    }
  }
}

/**
 * Index in x of the maximum of a window, for every channel at once: its taps inside the input
 * (from {@link windowTaps}) in row-major order, channels innermost (contiguous in NHWC); a
 * later tap wins only if strictly greater.
 */
function findWinners(
  x: Float32Array,
  base: number,
  inside: Int32Array,
  n: number,
  c: number,
  winners: Int32Array,
): void {
  startWinners(winners, base + inside[1] * c, c);
  for (let t = 2; t < n; t += 2) challengeWinners(x, winners, base + inside[t + 1] * c, c);
}

function startWinners(winners: Int32Array, tap: number, c: number): void {
  for (let ch = 0; ch < c; ch++) winners[ch] = tap + ch;
}

function challengeWinners(x: Float32Array, winners: Int32Array, tap: number, c: number): void {
  for (let ch = 0; ch < c; ch++) {
    if (x[tap + ch] > x[winners[ch]]) winners[ch] = tap + ch;
  }
}

function routeWindow(
  dx: Float32Array,
  dy: Float32Array,
  o: number,
  winners: Int32Array,
  c: number,
): void {
  for (let ch = 0; ch < c; ch++) dx[winners[ch]] += dy[o + ch];
}

/** 2×2 windows, stride 2, no padding: the usual pooling, which gets a branch-light loop. */
function isTwoByTwoTiling(g: WindowGrid): boolean {
  const two = g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2;
  return two && g.top === 0 && g.left === 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
}

function routeTwoByTwoTiles(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  b: number,
  g: WindowGrid,
): void {
  const rowStride = g.w * g.c;
  for (let oy = 0; oy < g.oh; oy++) {
    const o = (b * g.oh + oy) * g.ow * g.c;
    routeTwoByTwoRow(x, dy, dx, (b * g.h + 2 * oy) * rowStride, o, g.ow, rowStride, g.c);
  }
}

/** One row of windows; taps in row-major order, a later one wins only if strictly greater. */
function routeTwoByTwoRow(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  top: number,
  o: number,
  windows: number,
  rowStride: number,
  c: number,
): void {
  for (let ox = 0; ox < windows; ox++) {
    const corner = top + 2 * ox * c;
    for (let ch = 0; ch < c; ch++) {
      const p0 = corner + ch;
      const p1 = p0 + c;
      const p2 = p0 + rowStride;
      const p3 = p2 + c;
      let best = p0;
      if (x[p1] > x[best]) best = p1;
      if (x[p2] > x[best]) best = p2;
      if (x[p3] > x[best]) best = p3;
      dx[best] = dy[o + ox * c + ch];
    }
  }
}
