import { convertIndexedToRgb, type DecodedPng, decode } from "fast-png";
import { type GrayImage, grayAlphaToGray, rgbToGray } from "./preprocess.ts";

/**
 * PNG → grayscale with fast-png (pure JS, so it runs on workerd and in browsers). The size is
 * checked from the IHDR before decoding because the decoder allocates width × height ×
 * channels up front: a tiny compressed file can declare a gigapixel image.
 */

export const MAX_PNG_SIDE = 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG the caller sent is unusable; `status` is the HTTP status that fits. */
export class PngError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
    this.name = "PngError";
  }
}

/** Width and height from the IHDR (bytes 16..23, big-endian), validating signature and chunk. */
export function readPngSize(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 24) {
    throw new PngError(
      `not a PNG: expected at least 24 bytes (signature + IHDR), got ${bytes.length}`,
    );
  }
  if (!SIGNATURE.every((b, i) => bytes[i] === b))
    throw new PngError("not a PNG: the 8-byte PNG signature is missing");
  const chunk = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (chunk !== "IHDR")
    throw new PngError(`corrupt PNG: expected the IHDR chunk first, got "${chunk}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Throws a PngError unless the declared size is within 1..maxSide on both axes. */
export function checkPngSize(
  bytes: Uint8Array,
  maxSide = MAX_PNG_SIDE,
): { width: number; height: number } {
  const size = readPngSize(bytes);
  if (size.width === 0 || size.height === 0) {
    throw new PngError(`corrupt PNG: IHDR declares an empty ${size.width}×${size.height} image`);
  }
  if (size.width > maxSide || size.height > maxSide) {
    throw new PngError(
      `PNG too large: ${size.width}×${size.height} pixels, the limit is ${maxSide}×${maxSide}`,
      413,
    );
  }
  return size;
}

/**
 * Walks the chunk list (length, type, data, CRC) up to IEND, so a cut-off upload is reported
 * as truncated rather than as the decoder's out-of-bounds read.
 */
export function checkPngComplete(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const size = 12 + view.getUint32(at);
    if (at + size > bytes.length) {
      throw new PngError(
        `corrupt PNG: truncated: chunk "${type}" at byte ${at} needs ${size} bytes, ${bytes.length - at} left`,
      );
    }
    if (type === "IEND") return;
    at += size;
  }
  throw new PngError(`corrupt PNG: truncated: no IEND chunk in ${bytes.length} bytes`);
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

/** 8-bit samples from 8- or 16-bit decoded data. */
function toBytes(data: ArrayLike<number>, depth: number): Uint8Array {
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
export function decodePngGray(bytes: Uint8Array, maxSide = MAX_PNG_SIDE): GrayImage {
  checkPngSize(bytes, maxSide);
  checkPngComplete(bytes);
  let png: DecodedPng;
  try {
    png = decode(bytes);
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
