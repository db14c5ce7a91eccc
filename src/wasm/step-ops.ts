import type { WindowGrid } from "../core/model/window-grid.ts";
import { KernelModule } from "./kernel-module.ts";
import { WASM_BASE64 } from "./step-ops.wasm.ts";

export const STEP_OPS_KERNEL = new KernelModule(WASM_BASE64, "SIMD (128-bit)");

interface StepOpsExports {
  biasRelu(z: number, bias: number, rows: number, cols: number, relu: number): void;
  reluMask(dy: number, out: number, dz: number, n: number): void;
  columnSums(m: number, rows: number, cols: number, sums: number): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  im2col(x: number, batch: number, ...gridAndOut: number[]): void;
  col2im(cols: number, batch: number, ...gridAndDx: number[]): void;
  /** `pool` is h, w, c, oh, ow. */
  maxPool2x2(x: number, batch: number, ...poolAndOut: number[]): void;
  maxPool2x2Gradient(x: number, dy: number, batch: number, ...poolAndDx: number[]): void;
}

/** A float32 region of the memory an operation reads or writes: its name, byte offset, floats. */
type Region = readonly [name: string, offset: number, floats: number];

/**
 * The element-wise loops of a training step (src/worker/sequential-gemm.ts) in WebAssembly
 * SIMD (step-ops.wat), on float32 data in one `WebAssembly.Memory` (a `Gemm`'s): every
 * argument that names data is a byte offset in it, a multiple of 4. Each method gives the same
 * bits as the plain-TS loop it replaces (named on it), and writes nothing but its output.
 */
export class StepOps {
  readonly #kernel: StepOpsExports;

  constructor(readonly memory: WebAssembly.Memory) {
    const instance = new WebAssembly.Instance(STEP_OPS_KERNEL.module(), { env: { memory } });
    this.#kernel = instance.exports as unknown as StepOpsExports;
  }

  /** z[r][c] += bias[c] over a rows × cols z, then z < 0 → 0 if `relu` (addBiasRows, reluInPlace). */
  biasRelu(z: number, bias: number, rows: number, cols: number, relu: boolean): void {
    this.#check("biasRelu", { rows, cols }, [
      ["z", z, rows * cols],
      ["bias", bias, cols],
    ]);
    this.#disjoint("biasRelu", ["z", z, rows * cols], ["bias", bias, cols]);
    this.#kernel.biasRelu(z, bias, rows, cols, +relu);
  }

  /** dz[i] = out[i] > 0 ? dy[i] : 0 for n floats; dz may be dy (reluGradientInto). */
  reluMask(dy: number, out: number, dz: number, n: number): void {
    const regions: Region[] = [
      ["dy", dy, n],
      ["out", out, n],
      ["dz", dz, n],
    ];
    this.#check("reluMask", { n }, regions);
    for (const input of regions.slice(0, 2)) {
      if (input[1] !== dz) this.#disjoint("reluMask", regions[2], input);
    }
    this.#kernel.reluMask(dy, out, dz, n);
  }

  /** sums[c] = Σ_r m[r][c], added in float64 in row order (columnSumsInto). */
  columnSums(m: number, rows: number, cols: number, sums: number): void {
    const regions: Region[] = [
      ["m", m, rows * cols],
      ["sums", sums, cols],
    ];
    this.#check("columnSums", { rows, cols }, regions);
    this.#disjoint("columnSums", regions[1], regions[0]);
    this.#kernel.columnSums(m, rows, cols, sums);
  }

  /** dst (cols × rows) = srcᵀ, src rows × cols (transposeInto). */
  transpose(src: number, rows: number, cols: number, dst: number): void {
    const regions: Region[] = [
      ["src", src, rows * cols],
      ["dst", dst, rows * cols],
    ];
    this.#check("transpose", { rows, cols }, regions);
    this.#disjoint("transpose", regions[1], regions[0]);
    this.#kernel.transpose(src, rows, cols, dst);
  }

  /** Each window of x (`[batch, h, w, c]`) as a row of out, `[batch·oh·ow, kh·kw·c]` (im2colInto). */
  im2col(x: number, batch: number, g: WindowGrid, out: number): void {
    this.#windowRegions("im2col", batch, g, ["x", x], ["out", out], "windows");
    this.#kernel.im2col(x, batch, ...gridArguments(g), out);
  }

  /** The adjoint of im2col: dx (`[batch, h, w, c]`) = windows' rows added back (col2imInto). */
  col2im(cols: number, batch: number, g: WindowGrid, dx: number): void {
    this.#windowRegions("col2im", batch, g, ["dx", dx], ["cols", cols], "windows");
    this.#kernel.col2im(cols, batch, ...gridArguments(g), dx);
  }

  /** Whether `maxPool` and `maxPoolGradient` take this grid: 2×2 windows, stride 2, unpadded. */
  static handlesPool(g: WindowGrid): boolean {
    const two = g.kh === 2 && g.kw === 2 && g.sh === 2 && g.sw === 2;
    return two && g.top === 0 && g.left === 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
  }

  /** out (`[batch, oh, ow, c]`) = each window's first maximum (maxPoolInto), 2×2 tiling only. */
  maxPool(x: number, batch: number, g: WindowGrid, out: number): void {
    this.#checkPool("maxPool", g);
    this.#windowRegions("maxPool", batch, g, ["x", x], ["out", out], "pooled");
    this.#kernel.maxPool2x2(x, batch, g.h, g.w, g.c, g.oh, g.ow, out);
  }

  /** dx (x's shape) = dy routed to each window's first maximum (maxPoolGradientInto). */
  maxPoolGradient(x: number, dy: number, batch: number, g: WindowGrid, dx: number): void {
    this.#checkPool("maxPoolGradient", g);
    const [xRegion, dyRegion] = this.#windowRegions(
      "maxPoolGradient",
      batch,
      g,
      ["x", x],
      ["dy", dy],
      "pooled",
    );
    const dxRegion: Region = ["dx", dx, xRegion[2]];
    this.#check("maxPoolGradient", {}, [dxRegion]);
    this.#disjoint("maxPoolGradient", dxRegion, xRegion);
    this.#disjoint("maxPoolGradient", dxRegion, dyRegion);
    this.#kernel.maxPool2x2Gradient(x, dy, batch, g.h, g.w, g.c, g.oh, g.ow, dx);
  }

  #checkPool(method: string, g: WindowGrid): void {
    if (!StepOps.handlesPool(g)) {
      throw new RangeError(
        `StepOps.${method}: only 2×2 windows at stride 2 without padding that fit the input ` +
          `(got ${g.kh}×${g.kw} windows, stride ${g.sh}×${g.sw}, padding ${g.top},${g.left}, ` +
          `${g.oh}×${g.ow} of them on ${g.h}×${g.w})`,
      );
    }
  }

  /**
   * Checks a grid and the two regions of a windowed operation: the image (`[batch, h, w, c]`)
   * and the windows' side, `[batch·oh·ow, kh·kw·c]` ("windows") or `[batch, oh, ow, c]`
   * ("pooled"); they must not overlap. Returns [image, windows].
   */
  #windowRegions(
    method: string,
    batch: number,
    g: WindowGrid,
    image: readonly [string, number],
    windows: readonly [string, number],
    kind: "windows" | "pooled",
  ): [Region, Region] {
    const { top, left, ...sizes } = g;
    checkCounts(method, { batch, ...sizes });
    if (!Number.isInteger(top) || !Number.isInteger(left) || top < 0 || left < 0) {
      throw new RangeError(
        `StepOps.${method}: padding ${top},${left} must be non-negative integers`,
      );
    }
    const perWindow = kind === "windows" ? g.kh * g.kw * g.c : g.c;
    const imageRegion: Region = [image[0], image[1], batch * g.h * g.w * g.c];
    const windowRegion: Region = [windows[0], windows[1], batch * g.oh * g.ow * perWindow];
    this.#check(method, {}, [imageRegion, windowRegion]);
    this.#disjoint(method, imageRegion, windowRegion);
    return [imageRegion, windowRegion];
  }

  /** Counts are positive integers and each region lies in the memory at a multiple of 4. */
  #check(method: string, counts: Record<string, number>, regions: readonly Region[]): void {
    checkCounts(method, counts);
    const size = this.memory.buffer.byteLength;
    for (const [name, offset, floats] of regions) {
      if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
        throw new RangeError(
          `StepOps.${method}: ${name}'s offset ${offset} is not a non-negative multiple of 4`,
        );
      }
      if (offset + floats * 4 > size) {
        throw new RangeError(
          `StepOps.${method}: ${name} (${floats} floats at ${offset}) ends past the memory ` +
            `(${size} bytes)`,
        );
      }
    }
  }

  #disjoint(method: string, written: Region, read: Region): void {
    const [wName, w, wFloats] = written;
    const [rName, r, rFloats] = read;
    if (w < r + rFloats * 4 && r < w + wFloats * 4) {
      throw new RangeError(`StepOps.${method}: ${wName} and ${rName} overlap`);
    }
  }
}

const gridArguments = (g: WindowGrid) =>
  [g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.top, g.left] as const;

function checkCounts(method: string, counts: Record<string, number>): void {
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`StepOps.${method}: ${name} ${v} must be a positive integer`);
    }
  }
}
