import type { Gemm } from "../wasm/gemm.ts";
import {
  type CsrRegions,
  SparseRows,
  scratchWords,
  sparseRowsUnavailable,
} from "../wasm/sparse-rows.ts";
import { gatherRows } from "./active-columns.ts";

/**
 * The first Dense layer's input in sparse form: a batch's nonzero inputs as CSR rows (which
 * input, and the value), multiplied row by row (src/wasm/sparse-rows.ts) instead
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

/**
 * Whether `entries` nonzero inputs are cheaper row by row than a `capacity × width` block (and
 * the row kernels run here: they need wasm multi-memory, which e.g. Node 20 lacks).
 */
export function sparseIsCheaper(entries: number, capacity: number, width: number): boolean {
  return entries <= SPARSE_DENSITY * capacity * width && !sparseRowsUnavailable();
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
 * The kernel is read, and its gradient written, where they lie when that is a shared
 * `WebAssembly.Memory` (the training plane: `weights`); otherwise through a staging copy.
 */
export class SparseInput {
  #regions: CsrRegions | undefined;
  /** The kernels over the gemm's memory and the last weights memory used. */
  #kernel: SparseRows | undefined;
  /**
   * Where the parameters are not in a wasm memory: the forward's kernel rows, then (the first
   * layer's input needs no gradient, so they are done with) the backward's kernel gradient.
   */
  #staging: WebAssembly.Memory | undefined;

  constructor(
    private readonly gemm: Gemm,
    private readonly capacity: number,
    /** The kernel: `inputSize × units` floats at float offset `kernel` of the parameters. */
    private readonly inputSize: number,
    private readonly units: number,
    private readonly kernel: number,
  ) {}

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

  /**
   * out (capacity × units, in the gemm's memory) = rows · the kernel of `params`. `weights`:
   * the memory `params` is a view of, if any; else the rows of the batch's active columns
   * (which hold every entry's) are staged.
   */
  product(
    csr: CsrRegions,
    params: Float32Array,
    out: number,
    active: { readonly columns: Int32Array; readonly width: number },
    weights?: WebAssembly.Memory,
  ): void {
    const [memory, at] = this.#inPlace(params, weights) ?? this.#staged(params, active);
    this.#kernelFor(memory).product(csr, this.capacity, at, this.inputSize, this.units, out);
  }

  /** The kernel's gradient into `grads` (flat layout) = rowsᵀ · dz (in the gemm's memory). */
  gradient(csr: CsrRegions, dz: number, grads: Float32Array, weights?: WebAssembly.Memory): void {
    const inPlace = this.#inPlace(grads, weights);
    const [memory, at] = inPlace ?? [this.#stagingMemory(), 0];
    this.#kernelFor(memory).gradient(csr, this.capacity, dz, this.units, at, this.inputSize);
    if (!inPlace) grads.set(this.#stagedKernel(), this.kernel);
  }

  /** `weights` and the kernel's byte offset in it, where `vector` is a view of it. */
  #inPlace(
    vector: Float32Array,
    weights: WebAssembly.Memory | undefined,
  ): [WebAssembly.Memory, number] | undefined {
    if (!weights || vector.buffer !== weights.buffer) return undefined;
    return [weights, vector.byteOffset + 4 * this.kernel];
  }

  /** The staging with the active columns' kernel rows of `params` in their place, at byte 0. */
  #staged(
    params: Float32Array,
    active: { readonly columns: Int32Array; readonly width: number },
  ): [WebAssembly.Memory, number] {
    const { columns, width } = active;
    gatherRows(params, this.kernel, this.units, columns, width, this.#stagedKernel(), "in place");
    return [this.#stagingMemory(), 0];
  }

  /** The staging's kernel, `inputSize × units` floats from byte 0. */
  #stagedKernel(): Float32Array {
    return new Float32Array(this.#stagingMemory().buffer, 0, this.inputSize * this.units);
  }

  #kernelFor(weights: WebAssembly.Memory): SparseRows {
    if (this.#kernel?.weights !== weights) this.#kernel = new SparseRows(this.gemm.memory, weights);
    return this.#kernel;
  }

  #stagingMemory(): WebAssembly.Memory {
    const pages = Math.ceil((4 * this.inputSize * this.units) / 65536);
    this.#staging ??= new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return this.#staging;
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
