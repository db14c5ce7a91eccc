import { convertIndexedToRgb, type DecodedPng, decode } from "fast-png";
import { zlibSync } from "fflate";
import { minimalPng, PNG_SIGNATURE, type PngHeader, readPngChunks } from "./png-chunks.ts";
import { PngError } from "./png-error.ts";
import { inflateImageData } from "./png-inflate.ts";
import { type GrayImage, grayAlphaToGray, rgbToGray } from "./preprocess.ts";

export { PngError } from "./png-error.ts";

/**
 * PNG → grayscale with fast-png (pure JS, so it runs on workerd and in browsers). The decoder
 * allocates width × height × channels up front and a tiny compressed file can declare a
 * gigapixel image, so the declared size is checked against `PngLimits` before anything is
 * inflated. The image data is inflated here, bounded by that size (fast-png inflates without a
 * bound, ancillary chunks included), and fast-png decodes a rebuilt PNG holding only the needed
 * chunks.
 */

/**
 * Most pixels a PNG may declare, and (at 4 bytes a pixel, i.e. 8-bit RGBA) most bytes of image
 * data: decoding and preprocessing the largest accepted PNG takes ~0.1 s and ~55 MiB on Bun,
 * where a 4096×4096 16-bit RGBA one took 5 s and 1.2 GB. Phone photos do not fit the 1 MiB
 * body limit anyway; a digit needs 28×28.
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

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes) and scales them to 0..255. */
function unpackLowDepth(
  data: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = (1 << depth) - 1;
  if (data.length < rowBytes * height) {
    throw new PngError(
      `corrupt PNG: expected ${rowBytes * height} bytes of samples, decoded ${data.length}`,
    );
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      const sample = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width + x] = Math.round((sample * 255) / max);
    }
  }
  return out;
}

/** 8-bit samples from 8- or 16-bit decoded data (8-bit data as is: no copy of it at peak). */
function toBytes(data: DecodedPng["data"], depth: number): Uint8Array {
  if (depth === 8 && data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  const shift = depth === 16 ? 8 : 0;
  for (let i = 0; i < data.length; i++) out[i] = data[i] >> shift;
  return out;
}

function grayFromDecoded(png: DecodedPng): GrayImage {
  const { width, height, channels, depth } = png;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    return rgbToGray(rgb, width, height, png.palette[0]?.length === 4 ? 4 : 3);
  }
  if (depth < 8) {
    if (channels !== 1)
      throw new PngError(`corrupt PNG: bit depth ${depth} with ${channels} channels`);
    return { width, height, data: unpackLowDepth(png.data, width, height, depth) };
  }
  const expected = width * height * channels;
  if (png.data.length !== expected) {
    throw new PngError(`corrupt PNG: expected ${expected} samples, decoded ${png.data.length}`);
  }
  const bytes = toBytes(png.data, depth);
  if (channels === 1) return { width, height, data: bytes };
  if (channels === 2) return grayAlphaToGray(bytes, width, height);
  if (channels === 3 || channels === 4) return rgbToGray(bytes, width, height, channels);
  throw new PngError(`corrupt PNG: unsupported channel count ${channels}`);
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
  const { interlaced, bitDepth } = parts.header;
  // fast-png 8 de-interlaces packed (1/2/4-bit) rows as if each pixel were a whole byte.
  if (interlaced && bitDepth < 8) {
    throw new PngError(
      `unsupported PNG: Adam7-interlaced images need a bit depth of 8 or 16, got ${bitDepth}`,
      422,
    );
  }
  // Stored (level 0) deflate: fast-png's own inflate of it is a copy, not a second inflate.
  const safe = minimalPng(parts, zlibSync(await inflateImageData(parts), { level: 0 }));
  let png: DecodedPng;
  try {
    png = decode(safe);
  } catch (error) {
    throw new PngError(`corrupt PNG: ${(error as Error).message}`);
  }
  try {
    return grayFromDecoded(png);
  } catch (error) {
    if (error instanceof PngError) throw error;
    throw new PngError(`corrupt PNG: ${(error as Error).message}`);
  }
}
