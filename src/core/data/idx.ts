/**
 * IDX files (the MNIST container): a big-endian header — two zero bytes, a type code
 * (0x08 = unsigned byte, the only one MNIST uses), the number of dimensions — then one
 * uint32 per dimension and the data. Everything is checked against the actual byte count
 * before any allocation, so a hostile header cannot ask for gigabytes.
 */
export interface IdxArray {
  readonly dims: readonly number[];
  /** A view into the input bytes (no copy). */
  readonly data: Uint8Array;
}

export class IdxError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "IdxError";
  }
}

const UNSIGNED_BYTE = 0x08;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4) {
    throw new IdxError(
      file,
      `truncated: expected at least a 4-byte header, got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== UNSIGNED_BYTE || ndim === 0) {
    const want = expectedDims ? hex(0x800 | expectedDims) : "0x000008NN";
    throw new IdxError(
      file,
      `wrong magic number: expected ${want} (unsigned-byte IDX), got ${hex(magic)}`,
    );
  }
  if (expectedDims !== undefined && ndim !== expectedDims) {
    throw new IdxError(
      file,
      `wrong magic number: expected ${hex(0x800 | expectedDims)} (${expectedDims}-D), got ${hex(magic)} (${ndim}-D)`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new IdxError(
      file,
      `truncated header: expected ${headerBytes} bytes, got ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    size *= d;
  }
  const actual = bytes.length - headerBytes;
  if (size !== actual) {
    const what = size > actual ? "truncated" : "trailing bytes";
    throw new IdxError(
      file,
      `${what}: dimensions ${dims.join("×")} need ${size} data bytes, found ${actual}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Encodes an unsigned-byte IDX file (for tests and for writing subsets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x800 | dims.length);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d);
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const GZIP_MAGIC = [0x1f, 0x8b];
/** Upper bound on a decompressed file; MNIST's largest is 47 MB. */
export const MAX_DECOMPRESSED_BYTES = 1 << 30;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Gunzips with the web-standard DecompressionStream (Bun, Deno, workerd, browsers). */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("gzip"));
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > MAX_DECOMPRESSED_BYTES) {
        throw new IdxError(file, `decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof IdxError) throw error;
    throw new IdxError(file, `corrupt gzip data (${(error as Error).message})`);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Parses raw or gzipped IDX bytes. */
export async function readIdx(
  bytes: Uint8Array,
  file: string,
  expectedDims?: number,
): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, file) : bytes, file, expectedDims);
}
