import type { Gemm } from "../wasm/gemm.ts";
import { type CsrRegions, SparseRows, scratchWords } from "../wasm/sparse-rows.ts";

/**
 * The first Dense layer's input in sparse form: a batch's nonzero inputs as CSR rows (which of
 * the batch's active columns, and the value), multiplied row by row (sparse-rows.wat) instead
 * of as a dense block of the active columns on the gemm. Both are exact: the sparse form
 * skips only zero inputs, where the gemm skips only columns zero in every sample. Which one
 * runs is chosen per batch from its entries against its dense block (`sparseIsCheaper`).
 */

/**
 * Entries per cell of the active-column block below which the row-by-row product is the
 * faster one. bench/sparse-ab.ts (one thread, interleaved, fill + step) with the register-chunk
 * kernels: MNIST's Dense(512) at density ~0.3 ran 1.9× (batch 64) and 2.1× (batch 128) faster
 * sparse, so the break-even lies near 0.6; 0.4 stays on the safe side and bounds the memory a
 * sparse batch's entries take.
 */
export const SPARSE_DENSITY = 0.4;

/** How a batch's first-layer input is held: chosen per batch, or forced (tests, benchmarks). */
export type InputForm = "auto" | "dense" | "sparse";

/** Whether `entries` nonzero inputs are cheaper row by row than a `capacity × width` block. */
export function sparseIsCheaper(entries: number, capacity: number, width: number): boolean {
  return entries <= SPARSE_DENSITY * capacity * width;
}

/** The most entries a sparse batch of `capacity` samples of `inputSize` inputs can hold. */
export function maxSparseEntries(capacity: number, inputSize: number): number {
  return Math.ceil(SPARSE_DENSITY * capacity * inputSize);
}

/** A batch's CSR rows: `rowStart` has capacity + 1 entries; index and value hold `count`. */
export interface CsrRows {
  readonly rowStart: Int32Array;
  readonly index: Int32Array;
  readonly value: Float32Array;
}

/**
 * The step's side: the CSR rows uploaded into the gemm's memory (laid out at the first sparse
 * batch, for the most entries a batch can hold), then the product and the kernel gradient.
 */
export class SparseInput {
  #regions: CsrRegions | undefined;
  readonly #kernel: SparseRows;

  constructor(
    private readonly gemm: Gemm,
    private readonly capacity: number,
    private readonly inputSize: number,
  ) {
    this.#kernel = new SparseRows(gemm.memory);
  }

  /** Copies the batch's rows into the memory. */
  upload(rows: CsrRows): CsrRegions {
    const regions = this.#layout();
    const count = rows.rowStart[this.capacity];
    if (count > regions.entries) {
      throw new RangeError(
        `SparseInput: ${count} entries, at most ${regions.entries} for a sparse batch`,
      );
    }
    const buffer = this.gemm.memory.buffer;
    new Int32Array(buffer, regions.rowStart, this.capacity + 1).set(rows.rowStart);
    new Int32Array(buffer, regions.index, count).set(rows.index.subarray(0, count));
    new Float32Array(buffer, regions.value, count).set(rows.value.subarray(0, count));
    return regions;
  }

  /** out (capacity × units) = rows · kernel rows (`width` of them, gathered at `kernel`). */
  product(csr: CsrRegions, kernel: number, width: number, units: number, out: number): void {
    this.#kernel.product(csr, this.capacity, kernel, width, units, out);
  }

  /** dKernel (width × units) = rowsᵀ · dz. */
  gradient(csr: CsrRegions, dz: number, units: number, dKernel: number, width: number): void {
    this.#kernel.gradient(csr, this.capacity, dz, units, dKernel, width);
  }

  #layout(): CsrRegions {
    if (this.#regions) return this.#regions;
    const g = this.gemm;
    const entries = maxSparseEntries(this.capacity, this.inputSize);
    this.#regions = {
      rowStart: g.matrix(1, this.capacity + 1).offset,
      index: g.matrix(1, entries).offset,
      value: g.matrix(1, entries).offset,
      entries,
      scratch: g.matrix(1, scratchWords(entries, this.inputSize)).offset,
      scratchRows: this.inputSize,
    };
    return this.#regions;
  }
}
