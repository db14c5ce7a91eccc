import { KernelModule } from "./kernel-module.ts";
import { WASM_BASE64 as GRADIENT_BASE64 } from "./sparse-gradient.wasm.ts";
import { WASM_BASE64 as PRODUCT_BASE64 } from "./sparse-product.wasm.ts";

const NEEDS = "SIMD (128-bit), threads and multi-memory";
const SPARSE_PRODUCT_KERNEL = new KernelModule(PRODUCT_BASE64, NEEDS);
const SPARSE_GRADIENT_KERNEL = new KernelModule(GRADIENT_BASE64, NEEDS);

/** Why the sparse kernels cannot run here, or undefined when they can. */
export const sparseRowsUnavailable = (): string | undefined =>
  SPARSE_PRODUCT_KERNEL.unavailable() ?? SPARSE_GRADIENT_KERNEL.unavailable();

interface ProductExports {
  sparseProduct(...args: number[]): void;
}

interface GradientExports {
  sparseGradient(...args: number[]): void;
}

/**
 * Where a batch's CSR lies in the memory (byte offsets): `rowStart` (rows + 1 int32),
 * `index` (int32 row numbers of the kernel) and `value` (float32), `entries` floats each;
 * and the kernels' scratch, `scratchWords(entries, kernelRows)` words.
 */
export interface CsrRegions {
  readonly rowStart: number;
  readonly index: number;
  readonly value: number;
  /** How many entries the index and value regions hold. */
  readonly entries: number;
  readonly scratch: number;
  /** The most kernel rows the scratch can sort entries into (the gradient's). */
  readonly scratchRows: number;
}

/**
 * Words of scratch the kernels need: each entry's row offset and value sorted by kernel row,
 * and each kernel row's start.
 */
export const scratchWords = (entries: number, kernelRows: number): number =>
  2 * entries + kernelRows + 1;

/**
 * A Dense layer's product and kernel gradient for sparse inputs (sparse-product.wat,
 * sparse-gradient.wat): each sample's output is the sum of the kernel rows of its nonzero
 * inputs times their values, its gradient added back into exactly those rows. The kernel and its gradient lie in `weights`, a
 * shared memory (the training plane's: no copy in or out); the CSR, the output, dz and the
 * scratch in `memory` (a `Gemm`'s). The same bits as the TS loops named on each method.
 * Offsets are bytes, multiples of 4.
 */
export class SparseRows {
  readonly #product: ProductExports;
  readonly #gradient: GradientExports;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly weights: WebAssembly.Memory,
  ) {
    const imports = { env: { memory, weights } };
    const instance = (kernel: KernelModule) =>
      new WebAssembly.Instance(kernel.module(), imports).exports as unknown;
    this.#product = instance(SPARSE_PRODUCT_KERNEL) as ProductExports;
    this.#gradient = instance(SPARSE_GRADIENT_KERNEL) as GradientExports;
  }

  /** out (rows × units) = csr · w (wRows × units, in `weights`), from +0 (sparseProductInto). */
  product(csr: CsrRegions, rows: number, w: number, wRows: number, units: number, out: number) {
    this.#check("product", csr, rows, 0, { out: [out, rows * units] }, { w: [w, wRows * units] });
    this.#run("product", () =>
      this.#product.sparseProduct(
        ...[csr.rowStart, csr.index, csr.value, rows, w, wRows, units, out, csr.scratch],
      ),
    );
  }

  /**
   * dw (dwRows × units, in `weights`) = csrᵀ · dz (rows × units), samples in order
   * (sparseGradientInto).
   */
  gradient(csr: CsrRegions, rows: number, dz: number, units: number, dw: number, dwRows: number) {
    this.#check(
      "gradient",
      csr,
      rows,
      dwRows,
      { dz: [dz, rows * units] },
      {
        dw: [dw, dwRows * units],
      },
    );
    const { rowStart, index, value, scratch, entries } = csr;
    this.#run("gradient", () =>
      this.#gradient.sparseGradient(
        ...[rowStart, index, value, rows, dz, units, dw, dwRows, scratch, entries],
      ),
    );
  }

  /** The kernel traps on a bad CSR (an index past the kernel, entries going backwards). */
  #run(method: string, call: () => void): void {
    try {
      call();
    } catch (cause) {
      if (!(cause instanceof WebAssembly.RuntimeError)) throw cause;
      throw new RangeError(
        `SparseRows.${method}: the CSR rows go backwards or name a row past the kernel`,
        { cause },
      );
    }
  }

  #check(
    method: string,
    csr: CsrRegions,
    rows: number,
    /** Kernel rows the scratch sorts entries into (0: none). */
    sortedRows: number,
    /** The dense operand in `memory`: the product's output or the gradient's dz. */
    stepMatrix: Record<string, Region>,
    /** The kernel or its gradient, in `weights`. */
    weightsMatrix: Record<string, Region>,
  ): void {
    for (const [name, v] of Object.entries({ rows, entries: csr.entries })) {
      if (!Number.isInteger(v) || v < 0) {
        throw new RangeError(`SparseRows.${method}: ${name} ${v} must be a non-negative integer`);
      }
    }
    if (sortedRows > csr.scratchRows) {
      throw new RangeError(
        `SparseRows.${method}: the scratch sorts into ${csr.scratchRows} kernel rows, not ${sortedRows}`,
      );
    }
    const regions: Record<string, Region> = {
      rowStart: [csr.rowStart, rows + 1],
      index: [csr.index, csr.entries],
      value: [csr.value, csr.entries],
      scratch: [csr.scratch, scratchWords(csr.entries, csr.scratchRows)],
      ...stepMatrix,
    };
    inside(method, regions, this.memory, "the memory");
    inside(method, weightsMatrix, this.weights, "the weights");
    const ints = new Int32Array(this.memory.buffer, csr.rowStart, rows + 1);
    if (ints[0] < 0 || ints[rows] > csr.entries) {
      throw new RangeError(
        `SparseRows.${method}: the rows' entries ${ints[0]}..${ints[rows]} lie outside the ` +
          `${csr.entries} the index and value regions hold`,
      );
    }
    // What the kernel writes in `memory`: the product's output, and the scratch.
    const written = method === "product" ? [...Object.keys(stepMatrix), "scratch"] : ["scratch"];
    for (const name of written) {
      const [at, n] = regions[name];
      for (const [other, [offset, m]] of Object.entries(regions)) {
        if (other !== name && offset < at + 4 * n && at < offset + 4 * m) {
          throw new RangeError(`SparseRows.${method}: the ${name} overlaps ${other}`);
        }
      }
    }
  }
}

/** A region of a memory: its byte offset and how many 4-byte values it holds. */
type Region = readonly [offset: number, values: number];

function inside(
  method: string,
  regions: Record<string, Region>,
  memory: WebAssembly.Memory,
  what: string,
): void {
  const size = memory.buffer.byteLength;
  for (const [name, [offset, n]] of Object.entries(regions)) {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset + 4 * n > size) {
      throw new RangeError(
        `SparseRows.${method}: ${name} (${n} values at byte ${offset}) is not 4-aligned ` +
          `inside ${what} (${size} bytes)`,
      );
    }
  }
}
