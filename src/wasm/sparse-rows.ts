import { KernelModule } from "./kernel-module.ts";
import { WASM_BASE64 } from "./sparse-rows.wasm.ts";

export const SPARSE_ROWS_KERNEL = new KernelModule(WASM_BASE64, "SIMD (128-bit)");

interface SparseRowsExports {
  sparseProduct(...args: number[]): void;
  sparseGradient(...args: number[]): void;
}

/**
 * Where a batch's CSR lies in the memory (byte offsets): `rowStart` (rows + 1 int32),
 * `index` (int32 row numbers of the kernel) and `value` (float32), `entries` floats each.
 */
export interface CsrRegions {
  readonly rowStart: number;
  readonly index: number;
  readonly value: number;
  /** How many entries the index and value regions hold. */
  readonly entries: number;
}

/**
 * A Dense layer's product and kernel gradient for sparse inputs (sparse-rows.wat), on data in
 * one `WebAssembly.Memory` (a `Gemm`'s): each sample's output is the sum of the kernel rows of
 * its nonzero inputs times their values, its gradient added back into exactly those rows. The
 * same bits as the TS loops named on each method. Offsets are bytes, multiples of 4.
 */
export class SparseRows {
  readonly #kernel: SparseRowsExports;

  constructor(readonly memory: WebAssembly.Memory) {
    const instance = new WebAssembly.Instance(SPARSE_ROWS_KERNEL.module(), { env: { memory } });
    this.#kernel = instance.exports as unknown as SparseRowsExports;
  }

  /** out (rows × units) = csr · w (wRows × units), from +0 (sparseProductInto). */
  product(csr: CsrRegions, rows: number, w: number, wRows: number, units: number, out: number) {
    this.#check("product", csr, rows, { w: [w, wRows * units], out: [out, rows * units] });
    this.#run("product", () =>
      this.#kernel.sparseProduct(csr.rowStart, csr.index, csr.value, rows, w, wRows, units, out),
    );
  }

  /** dw (dwRows × units) = csrᵀ · dz (rows × units), samples in order (sparseGradientInto). */
  gradient(csr: CsrRegions, rows: number, dz: number, units: number, dw: number, dwRows: number) {
    this.#check("gradient", csr, rows, { dz: [dz, rows * units], dw: [dw, dwRows * units] });
    this.#run("gradient", () =>
      this.#kernel.sparseGradient(csr.rowStart, csr.index, csr.value, rows, dz, units, dw, dwRows),
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
    matrices: Record<string, readonly [offset: number, floats: number]>,
  ): void {
    for (const [name, v] of Object.entries({ rows, entries: csr.entries })) {
      if (!Number.isInteger(v) || v < 0) {
        throw new RangeError(`SparseRows.${method}: ${name} ${v} must be a non-negative integer`);
      }
    }
    const regions: Record<string, readonly [number, number]> = {
      rowStart: [csr.rowStart, rows + 1],
      index: [csr.index, csr.entries],
      value: [csr.value, csr.entries],
      ...matrices,
    };
    const size = this.memory.buffer.byteLength;
    for (const [name, [offset, n]] of Object.entries(regions)) {
      if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset + 4 * n > size) {
        throw new RangeError(
          `SparseRows.${method}: ${name} (${n} values at byte ${offset}) is not 4-aligned ` +
            `inside the memory (${size} bytes)`,
        );
      }
    }
    const ints = new Int32Array(this.memory.buffer, csr.rowStart, rows + 1);
    if (ints[0] < 0 || ints[rows] > csr.entries) {
      throw new RangeError(
        `SparseRows.${method}: the rows' entries ${ints[0]}..${ints[rows]} lie outside the ` +
          `${csr.entries} the index and value regions hold`,
      );
    }
    const [, [written, floats]] = Object.entries(matrices)[1];
    for (const [name, [offset, n]] of Object.entries(regions)) {
      if (offset === written) continue;
      if (offset < written + 4 * floats && written < offset + 4 * n) {
        throw new RangeError(`SparseRows.${method}: the output overlaps ${name}`);
      }
    }
  }
}
