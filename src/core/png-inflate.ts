import { ADAM7, type PngHeader, type PngParts } from "./png-chunks.ts";
import { PngError } from "./png-error.ts";

/**
 * Bounded inflation of the IDAT stream: a 64 KiB PNG declaring 1×1 pixels can inflate to
 * 64 MiB, so inflation stops as soon as the output exceeds what the header allows.
 */

/** Filtered bytes of a width × height image: one filter byte plus the packed samples per row. */
function scanlineBytes(header: PngHeader, width: number, height: number): number {
  if (width === 0 || height === 0) return 0;
  return height * (1 + Math.ceil((width * header.channels * header.bitDepth) / 8));
}

/** The exact size of the inflated image data the header describes (each Adam7 pass on its own). */
export function inflatedSize(header: PngHeader): number {
  if (!header.interlaced) return scanlineBytes(header, header.width, header.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.max(0, Math.ceil((header.width - x0) / dx));
    const h = Math.max(0, Math.ceil((header.height - y0) / dy));
    total += scanlineBytes(header, w, h);
  }
  return total;
}

/** Deflate's largest expansion: a 258-byte match costs as little as 2 bits (~1032:1). */
const MAX_EXPANSION = 1032;

/**
 * Compressed bytes to write next: what could at worst fill the rest of the bound, but at
 * least 1 KiB (so a bomb overshoots by at most ~1 MiB) and at most 64 KiB.
 */
function writeSize(remaining: number): number {
  return Math.min(64 * 1024, Math.max(1024, Math.ceil(remaining / MAX_EXPANSION)));
}

/**
 * Hands the writer its turn once the reader waits for output. Some DecompressionStreams
 * (workerd's) accept every write at once and inflate it eagerly into a buffer, so only this
 * keeps the output of at most about one slice unread.
 */
class Turn {
  private given = false;
  private waiting?: () => void;

  give(): void {
    this.given = true;
    this.waiting?.();
  }

  async take(): Promise<void> {
    if (!this.given) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.given = false;
    this.waiting = undefined;
  }
}

/** Writes `parts` to `writer` in bounded slices, one per turn. */
async function writeSlices(
  writer: WritableStreamDefaultWriter<BufferSource>,
  parts: readonly Uint8Array[],
  turn: Turn,
  remaining: () => number,
): Promise<void> {
  for (const part of parts) {
    for (let at = 0; at < part.length; ) {
      await turn.take();
      const end = at + writeSize(remaining());
      // Never a SharedArrayBuffer here: the bytes come from a request body.
      await writer.write(part.subarray(at, end) as Uint8Array<ArrayBuffer>);
      at = end;
    }
  }
  await writer.close();
}

/**
 * The inflated IDAT stream of `parts`, with the platform's DecompressionStream (native zlib
 * in Bun, Deno, workerd and browsers; fflate's streaming inflater was 10–20× slower on small
 * writes). PngError 422 as soon as the output passes the size the header allows, 400 if the
 * stream is corrupt or shorter than that size.
 */
export async function inflateImageData(parts: PngParts): Promise<Uint8Array> {
  const { width, height } = parts.header;
  const limit = inflatedSize(parts.header);
  const stream = new DecompressionStream("deflate");
  const reader = stream.readable.getReader();
  // The exact size is known: filled in place, so the output is never held twice.
  const out = new Uint8Array(limit);
  let total = 0;
  const turn = new Turn();
  const writer = stream.writable.getWriter();
  const writing = writeSlices(writer, parts.idat, turn, () => limit - total);
  writing.catch(() => {}); // its failure also errors the reader, and is reported from there
  try {
    for (;;) {
      turn.give();
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.length > limit) {
        await reader.cancel();
        throw new PngError(
          `PNG image data inflates to more than ${limit} bytes, all that its ${width}×${height} header allows`,
          422,
        );
      }
      out.set(value, total);
      total += value.length;
    }
    await writing;
  } catch (error) {
    if (error instanceof PngError) throw error;
    throw new PngError(
      `corrupt PNG: IDAT data is not a valid zlib stream (${(error as Error).message})`,
    );
  }
  if (total < limit) {
    throw new PngError(
      `corrupt PNG: IDAT data inflates to ${total} bytes, its ${width}×${height} header needs ${limit}`,
    );
  }
  return out;
}
