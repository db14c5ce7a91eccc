import { DataFileError } from "./error.ts";

/**
 * NumPy's `.npy` format (versions 1.0, 2.0, 3.0): the magic `\x93NUMPY`, a version, the header
 * length (uint16 for 1.0, uint32 after), a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` and the raw data. Only what
 * `np.save` writes for plain numeric arrays is read: little-endian (or one-byte) numbers and
 * bools in C order, and byte strings (`|S3`: `scipy.sparse.save_npz` stores its `format` so),
 * `n` bytes an element. Everything is checked against the actual byte count before any
 * allocation.
 */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  /**
   * The dtype as NumPy wrote it (`<f4`, `|u1`, `|b1`, `|S3`, …); float16 data comes as
   * Float32Array, byte strings of `|Sn` as `n` bytes an element.
   */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

type Constructor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NpyData;
  BYTES_PER_ELEMENT: number;
};

/** Type letter and size → typed array ("f2" is converted to float32 after reading). */
const DTYPES: Record<string, Constructor> = {
  u1: Uint8Array,
  i1: Int8Array,
  b1: Uint8Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  i4: Int32Array,
  u8: BigUint64Array,
  i8: BigInt64Array,
  f2: Uint16Array,
  f4: Float32Array,
  f8: Float64Array,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface Header {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

function parseHeader(text: string, fail: (m: string) => never): Header {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  if (descr === undefined) {
    if (/'descr'\s*:\s*\[/.test(text)) {
      fail(
        "structured arrays (a dtype with named fields) are not supported: save each field on its own",
      );
    }
    fail(`header has no 'descr' string: ${JSON.stringify(text.slice(0, 120))}`);
  }
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  if (order === undefined) fail("header has no 'fortran_order': True or False");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (shapeText === undefined) fail("header has no 'shape' tuple");
  const parts = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const shape = parts.map((s) => (/^\d{1,15}$/.test(s) ? Number(s) : Number.NaN));
  if (shape.some(Number.isNaN)) fail(`header shape (${shapeText}) is not a tuple of integers`);
  return { descr, fortranOrder: order === "True", shape };
}

/** The typed array of a dtype, and its bytes per element (a byte string's length). */
function dtypeOf(descr: string, fail: (m: string) => never): { type: Constructor; size: number } {
  const bytes = /^\|S(\d{1,6})$/.exec(descr);
  if (bytes && Number(bytes[1]) > 0) return { type: Uint8Array, size: Number(bytes[1]) };
  const match = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const code = match ? `${match[2]}${match[3]}` : "";
  const type = DTYPES[code];
  if (!match || !type) {
    const what = descr.includes("O") ? "object arrays (dtype=object) are" : `dtype '${descr}' is`;
    fail(
      `${what} not supported: expected one of |u1 |i1 |b1 <u2 <i2 <u4 <i4 <u8 <i8 <f2 <f4 <f8 |Sn`,
    );
  }
  const oneByte = type.BYTES_PER_ELEMENT === 1;
  if (match[1] === ">" && !oneByte) {
    fail(`big-endian dtype '${descr}' is not supported: save with arr.astype('<${code}')`);
  }
  return { type, size: type.BYTES_PER_ELEMENT };
}

/** IEEE half → float32, exactly (every half value is representable). */
function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

/**
 * The data as a typed array: a view when `bytes` is a whole buffer of its own (a file read, an
 * inflated zip member) and the data is aligned (NumPy pads headers to 64 bytes), else a copy,
 * so the result never keeps a larger buffer (a stored zip's whole archive) alive.
 */
function typedView(bytes: Uint8Array, start: number, count: number, type: Constructor): NpyData {
  const ownBuffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (
    ownBuffer &&
    start % type.BYTES_PER_ELEMENT === 0 &&
    !(bytes.buffer instanceof SharedArrayBuffer)
  ) {
    return new type(bytes.buffer as ArrayBuffer, start, count);
  }
  return new type(bytes.slice(start, start + count * type.BYTES_PER_ELEMENT).buffer);
}

/**
 * Parses one `.npy` file. `name` (a file name, or `archive.npz:member.npy`) is in every error.
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const fail = (message: string): never => {
    throw new DataFileError(name, message);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail("not a .npy file: expected the magic \\x93NUMPY at the start");
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) {
    fail(`.npy format version ${major}.${minor} is not supported: expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix)
    fail(`truncated: expected a ${prefix}-byte prefix, got ${bytes.length} bytes`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = prefix + headerLength;
  if (dataStart > bytes.length) {
    fail(`truncated header: expected ${headerLength} bytes, got ${bytes.length - prefix}`);
  }
  const decoder = new TextDecoder(major === 3 ? "utf-8" : "latin1");
  const header = parseHeader(decoder.decode(bytes.subarray(prefix, dataStart)), fail);
  const { type, size } = dtypeOf(header.descr, fail);
  const shape = header.shape;
  const count = shape.reduce((a, b) => a * b, 1);
  // Compare in bytes before allocating anything: a header may claim any shape.
  const expected = count * size;
  const available = bytes.length - dataStart;
  if (expected !== available) {
    fail(
      `shape (${shape.join(", ")}) of '${header.descr}' needs ${expected} data bytes, got ${available}${expected > available ? " (truncated?)" : ""}`,
    );
  }
  if (header.fortranOrder && shape.filter((d) => d > 1).length > 1) {
    fail("Fortran-order arrays are not supported: save np.ascontiguousarray(arr)");
  }
  const raw = typedView(bytes, dataStart, (count * size) / type.BYTES_PER_ELEMENT, type);
  const data = header.descr.endsWith("f2") ? halfToFloat(raw as Uint16Array) : raw;
  if (header.descr.endsWith("b1")) {
    const bad = (data as Uint8Array).findIndex((b) => b > 1);
    if (bad >= 0) fail(`bool element ${bad} is ${(data as Uint8Array)[bad]}, expected 0 or 1`);
  }
  return { dtype: header.descr, shape, data };
}

/** Encodes a C-order little-endian `.npy` (version 1.0): the reader's inverse, for tests and tools. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  // NumPy pads the header with spaces so the data starts on a 64-byte boundary.
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64);
  header += "\n";
  const data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}
