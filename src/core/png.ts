import { PNG_SIGNATURE, type PngHeader, readPngChunks } from "./png-chunks.ts";
import { PngError } from "./png-error.ts";
import { inflateImageData } from "./png-inflate.ts";
import { pngSamples, type Samples } from "./png-samples.ts";
import { type GrayImage, grayAlphaToGray, rgbToGray } from "./preprocess.ts";

export { PngError } from "./png-error.ts";

/**
 * PNG → grayscale in plain TS (runs on workerd and in browsers too). A tiny compressed file
 * can declare a gigapixel image, so the declared size is checked against the limits before
 * anything is inflated; the image data is then inflated bounded by that size, ancillary
 * chunks never, and unfiltered in place (png-samples.ts).
 */

/**
 * Most pixels a PNG may declare, and (at 4 bytes a pixel, i.e. 8-bit RGBA) most bytes of image
 * data: decoding and preprocessing the largest accepted PNG takes ~0.1 s and ≤ 33 MiB on Bun
 * and Deno, where a 4096×4096 16-bit RGBA one took 5 s and 1.2 GB. Phone photos do not fit
 * the 1 MiB body limit anyway; a digit needs 28×28.
 */
export const MAX_PNG_PIXELS = 1024 * 1024;
const IMAGE_BYTES_PER_PIXEL = 4;

/** Width and height from the IHDR (bytes 16..23, big-endian), validating signature and chunk. */
export function readPngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) {
    throw new PngError(
      `not a PNG: expected at least 24 bytes (signature + IHDR), got ${bytes.length}`,
    );
  }
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b))
    throw new PngError("not a PNG: the 8-byte PNG signature is missing");
  const chunk = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (chunk !== "IHDR")
    throw new PngError(`corrupt PNG: expected the IHDR chunk first, got "${chunk}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const COLOUR_NAMES: Record<number, string> = {
  0: "gray",
  2: "RGB",
  3: "indexed",
  4: "gray+alpha",
  6: "RGBA",
};

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 1)} MiB`;

/**
 * Throws a PngError (413) unless the header's image fits `maxPixels` pixels and
 * `4 × maxPixels` bytes of samples (so 16-bit images get fewer pixels); 400 if it is empty.
 */
export function checkPngLimits(header: PngHeader, maxPixels = MAX_PNG_PIXELS): void {
  const { width, height, bitDepth, colorType, channels } = header;
  if (width === 0 || height === 0) {
    throw new PngError(`corrupt PNG: IHDR declares an empty ${width}×${height} image`);
  }
  const pixels = width * height;
  const imageBytes = Math.ceil((width * channels * bitDepth) / 8) * height;
  const maxBytes = maxPixels * IMAGE_BYTES_PER_PIXEL;
  if (pixels <= maxPixels && imageBytes <= maxBytes) return;
  throw new PngError(
    `PNG too large: ${width}×${height} ${bitDepth}-bit ${COLOUR_NAMES[colorType]} is ${pixels} pixels and ${mib(imageBytes)} of image data; the limits are ${maxPixels} pixels and ${mib(maxBytes)} of image data`,
    413,
  );
}

function toGray({ data, channels }: Samples, width: number, height: number): GrayImage {
  if (channels === 1) return { width, height, data };
  if (channels === 2) return grayAlphaToGray(data, width, height);
  return rgbToGray(data, width, height, channels);
}

/** Decodes a PNG (any colour type or depth) to 8-bit grayscale; PngError on bad input. */
export async function decodePngGray(
  bytes: Uint8Array,
  maxPixels = MAX_PNG_PIXELS,
): Promise<GrayImage> {
  readPngSize(bytes);
  // Walks the chunk headers only: nothing is inflated before the limits are checked.
  const parts = readPngChunks(bytes);
  checkPngLimits(parts.header, maxPixels);
  const { width, height } = parts.header;
  return toGray(pngSamples(parts, await inflateImageData(parts)), width, height);
}
