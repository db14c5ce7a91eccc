import { Unzlib } from "fflate";
import type { PngHeader, PngParts } from "./png-chunks.ts";
import { PngError } from "./png-error.ts";

/**
 * Bounded inflation of the IDAT stream: a 64 KiB PNG declaring 1×1 pixels can inflate to
 * 64 MiB, so inflation stops as soon as the output exceeds what the header allows.
 */

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

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

/**
 * Compressed bytes pushed at a time. Deflate expands at most ~1032:1, so one push yields at
 * most ~1 MiB before the running total is checked.
 */
const PUSH_BYTES = 1024;

/**
 * The inflated IDAT stream of `parts`. PngError 422 as soon as it passes the size the header
 * allows, 400 if it is corrupt or shorter than that size.
 */
export function inflateImageData(parts: PngParts): Uint8Array {
  const { width, height } = parts.header;
  const limit = inflatedSize(parts.header);
  const pieces: Uint8Array[] = [];
  let total = 0;
  const inflater = new Unzlib((piece) => {
    total += piece.length;
    if (total <= limit) pieces.push(piece);
  });
  const tooMuch = () =>
    new PngError(
      `PNG image data inflates to more than ${limit} bytes, all that its ${width}×${height} header allows`,
      422,
    );
  try {
    for (const part of parts.idat) {
      for (let at = 0; at < part.length; at += PUSH_BYTES) {
        inflater.push(part.subarray(at, at + PUSH_BYTES), false);
        if (total > limit) throw tooMuch();
      }
    }
    inflater.push(new Uint8Array(0), true);
  } catch (error) {
    if (error instanceof PngError) throw error;
    throw new PngError(
      `corrupt PNG: IDAT data is not a valid zlib stream (${(error as Error).message})`,
    );
  }
  if (total > limit) throw tooMuch();
  if (total < limit) {
    throw new PngError(
      `corrupt PNG: IDAT data inflates to ${total} bytes, its ${width}×${height} header needs ${limit}`,
    );
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
