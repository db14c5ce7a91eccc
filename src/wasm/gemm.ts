import { WASM_BASE64 } from "./gemm.wasm.ts";
import { KernelModule } from "./kernel-module.ts";

export const GEMM_KERNEL = new KernelModule(WASM_BASE64, "relaxed SIMD");

/**
 * C = A·B (or C += A·B) in float32 with the WebAssembly SIMD kernel of gemm.wat, over one
 * `WebAssembly.Memory`. Matrices are row-major and live in that memory: `matrix()` places one
 * (a bump allocator that grows the memory), or describe one you placed yourself by its byte
 * offset. `pack()` lays B out as the kernel's column panels, once for every A it multiplies.
 */
export interface Matrix {
  /** Byte offset in the memory; a multiple of 4. */
  readonly offset: number;
  readonly rows: number;
  readonly cols: number;
}

/** B as `pack()` lays it out: ⌈cols/8⌉ panels of rows × 8 floats. */
export interface PackedMatrix extends Matrix {
  readonly packed: true;
}

export interface MultiplyOptions {
  /** C += A·B instead of C = A·B. */
  accumulate?: boolean;
  /** Fused multiply-add (`f32x4.relaxed_madd`, default) or a separate multiply and add. */
  fma?: boolean;
  /** Rows of A per cache block (default: about 64 KB of A). */
  rowBlock?: number;
  /** Rows of C per register tile: 6 (12 accumulators, default) or 4 (8). */
  tileRows?: 4 | 6;
  /** With a packed B: the k loop unrolled by 4 (default) or not. */
  unrolled?: boolean;
}

/** Bytes the kernel may read past the end of an unpacked B (its last panel, when 8 ∤ cols). */
const B_OVERREAD = 32;
/** The 6×8 tile the kernel computes a narrower tile in. */
const SCRATCH_BYTES = 6 * 8 * 4;
const PAGE = 65536;
const ALIGN = 16;

type GemmExport = (
  a: number,
  b: number,
  bPanelStride: number,
  bRowStride: number,
  c: number,
  m: number,
  k: number,
  n: number,
  accumulate: number,
  rowBlock: number,
  scratch: number,
  tileRows: number,
  unrolled: number,
) => void;

interface GemmExports {
  packB(b: number, k: number, n: number, packed: number): void;
  gemm: GemmExport;
  gemmMulAdd: GemmExport;
}

export class Gemm {
  readonly memory: WebAssembly.Memory;
  readonly #kernel: GemmExports;
  readonly #scratch: number;
  #next: number;

  /** Uses the memory from byte `base` up (default: a fresh memory, from 0). */
  constructor(memory = new WebAssembly.Memory({ initial: 1 }), base = 0) {
    if (!Number.isInteger(base) || base < 0 || base % ALIGN !== 0) {
      throw new RangeError(`Gemm: base ${base} must be a non-negative multiple of ${ALIGN}`);
    }
    this.memory = memory;
    const instance = new WebAssembly.Instance(GEMM_KERNEL.module(), { env: { memory } });
    this.#kernel = instance.exports as unknown as GemmExports;
    this.#scratch = base;
    this.#next = base + SCRATCH_BYTES;
  }

  /** A new rows × cols matrix in the memory, zeros or a copy of `values` (row-major). */
  matrix(rows: number, cols: number, values?: ArrayLike<number>): Matrix {
    checkShape("matrix", rows, cols);
    if (values && values.length !== rows * cols) {
      throw new RangeError(`Gemm.matrix: ${values.length} values for ${rows}×${cols}`);
    }
    const m = { offset: this.#allocate(rows * cols * 4 + B_OVERREAD), rows, cols };
    if (values) this.view(m).set(values);
    return m;
  }

  /** B packed into panels (into `target` when given, which must have B's shape). */
  pack(b: Matrix, target?: PackedMatrix): PackedMatrix {
    this.#checkPlaced("pack", "B", b, rowMajorBytes(b));
    const packed = target ?? {
      offset: this.#allocate(packedBytes(b.rows, b.cols)),
      rows: b.rows,
      cols: b.cols,
      packed: true as const,
    };
    if (packed.rows !== b.rows || packed.cols !== b.cols) {
      throw new RangeError(`Gemm.pack: target is ${shape(packed)}, B is ${shape(b)}`);
    }
    this.#checkPlaced("pack", "target", packed, packedBytes(b.rows, b.cols));
    this.#kernel.packB(b.offset, b.rows, b.cols, packed.offset);
    return packed;
  }

  /** A float32 view of a matrix (fresh: growing the memory detaches earlier views). */
  view(m: Matrix): Float32Array {
    const length = "packed" in m ? packedBytes(m.rows, m.cols) / 4 : m.rows * m.cols;
    return new Float32Array(this.memory.buffer, m.offset, length);
  }

  multiply(a: Matrix, b: Matrix | PackedMatrix, c: Matrix, options: MultiplyOptions = {}): void {
    const packed = "packed" in b;
    this.#checkOperands(a, b, c, packed);
    const { accumulate = false, fma = true, tileRows = 6, unrolled = true } = options;
    const rowBlock = options.rowBlock ?? defaultRowBlock(a.cols);
    if (!Number.isInteger(rowBlock) || rowBlock < 1) {
      throw new RangeError(`Gemm.multiply: rowBlock ${rowBlock} must be a positive integer`);
    }
    if (tileRows !== 4 && tileRows !== 6) {
      throw new RangeError(`Gemm.multiply: tileRows ${tileRows} must be 4 or 6`);
    }
    const [m, k, n] = [a.rows, a.cols, b.cols];
    const [panelStride, rowStride] = packed ? [k * 32, 32] : [32, n * 4];
    const run = fma ? this.#kernel.gemm : this.#kernel.gemmMulAdd;
    // biome-ignore format: the kernel's argument list, one group per line
    run(
      a.offset, b.offset, panelStride, rowStride, c.offset, m, k, n,
      +accumulate, rowBlock, this.#scratch, tileRows, +(packed && unrolled),
    );
  }

  /** Shapes agree, every operand lies inside the memory, C overlaps neither A, B nor scratch. */
  #checkOperands(a: Matrix, b: Matrix, c: Matrix, packed: boolean): void {
    const bBytes = packed
      ? packedBytes(b.rows, b.cols)
      : rowMajorBytes(b) + (b.cols % 8 ? B_OVERREAD : 0);
    const regions = [
      ["A", a, rowMajorBytes(a)],
      ["B", b, bBytes],
      ["C", c, rowMajorBytes(c)],
    ] as const;
    for (const [name, matrix, bytes] of regions) this.#checkPlaced("multiply", name, matrix, bytes);
    if (b.rows !== a.cols || c.rows !== a.rows || c.cols !== b.cols) {
      throw new RangeError(`Gemm.multiply: ${shape(a)} · ${shape(b)} does not make ${shape(c)}`);
    }
    const [, , cBytes] = regions[2];
    for (const [name, matrix, bytes] of regions) {
      if (name !== "C" && overlap(c.offset, cBytes, matrix.offset, bytes)) {
        throw new RangeError("Gemm.multiply: C overlaps A or B");
      }
      if (overlap(matrix.offset, bytes, this.#scratch, SCRATCH_BYTES)) {
        throw new RangeError(`Gemm.multiply: ${name} overlaps the kernel's scratch tile`);
      }
    }
  }

  #allocate(bytes: number): number {
    const offset = this.#next;
    const end = offset + Math.ceil(bytes / ALIGN) * ALIGN;
    const missing = end - this.memory.buffer.byteLength;
    if (missing > 0) {
      try {
        this.memory.grow(Math.ceil(missing / PAGE));
      } catch (cause) {
        throw new RangeError(`Gemm: cannot grow the memory to ${end} bytes`, { cause });
      }
    }
    this.#next = end;
    return offset;
  }

  #checkPlaced(method: string, name: string, m: Matrix, bytes: number): void {
    checkShape(`${method} (${name})`, m.rows, m.cols);
    const size = this.memory.buffer.byteLength;
    if (!Number.isInteger(m.offset) || m.offset < 0 || m.offset % 4 !== 0) {
      throw new RangeError(`Gemm.${method}: ${name}'s offset ${m.offset} is not a multiple of 4`);
    }
    if (m.offset + bytes > size) {
      throw new RangeError(
        `Gemm.${method}: ${name} (${shape(m)} at ${m.offset}, ${bytes} bytes read or written) ` +
          `ends past the memory (${size} bytes)`,
      );
    }
  }
}

/** Rows of A per block: about 64 KB of A, a multiple of both tile heights. */
function defaultRowBlock(k: number): number {
  return Math.max(12, Math.floor(65536 / (48 * k)) * 12);
}

const overlap = (s1: number, n1: number, s2: number, n2: number) => s1 < s2 + n2 && s2 < s1 + n1;
const packedBytes = (k: number, n: number) => Math.ceil(n / 8) * k * 32;
const rowMajorBytes = (m: Matrix) => m.rows * m.cols * 4;
const shape = (m: Matrix) => `${m.rows}×${m.cols}`;

function checkShape(where: string, rows: number, cols: number): void {
  for (const v of [rows, cols]) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Gemm.${where}: shape ${rows}×${cols} must be positive integers`);
    }
  }
}
