import { PngError } from "./png-error.ts";

/**
 * Walks a PNG's chunks and keeps only what decoding needs (IHDR, PLTE, tRNS, IDAT), so
 * ancillary chunks such as iCCP, zTXt and iTXt are never inflated. CRCs are not checked
 * (a corrupt image shows as corrupt zlib data or a bad filter type instead).
 */

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  /** Samples per pixel (an indexed pixel is one sample). */
  readonly channels: number;
  readonly interlaced: boolean;
}

export interface PngParts {
  readonly header: PngHeader;
  /** The 13 IHDR data bytes, as sent. */
  readonly ihdr: Uint8Array;
  readonly plte?: Uint8Array;
  readonly trns?: Uint8Array;
  /** The IDAT data fields in order: together one zlib stream. */
  readonly idat: readonly Uint8Array[];
}

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Adam7 passes: first column, first row, column step, row step (PNG spec §8.2). */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Channels and allowed bit depths per colour type (PNG spec, table 11.1). */
const COLOR_TYPES: Record<number, { channels: number; depths: readonly number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

function corrupt(reason: string): PngError {
  return new PngError(`corrupt PNG: ${reason}`);
}

function parseHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw corrupt(`IHDR must hold 13 bytes, got ${data.length}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const [bitDepth, colorType, compression, filter, interlace] = data.subarray(8);
  const type = COLOR_TYPES[colorType];
  if (!type) throw corrupt(`IHDR colour type ${colorType} is not one of 0, 2, 3, 4, 6`);
  if (!type.depths.includes(bitDepth)) {
    throw corrupt(
      `IHDR bit depth ${bitDepth} is not allowed for colour type ${colorType} (expected ${type.depths.join(", ")})`,
    );
  }
  if (compression !== 0) throw corrupt(`IHDR compression method ${compression}, expected 0`);
  if (filter !== 0) throw corrupt(`IHDR filter method ${filter}, expected 0`);
  if (interlace > 1) throw corrupt(`IHDR interlace method ${interlace}, expected 0 or 1`);
  return {
    width: view.getUint32(0),
    height: view.getUint32(4),
    bitDepth,
    colorType,
    channels: type.channels,
    interlaced: interlace === 1,
  };
}

/** Splits `bytes` (signature already checked) into the chunks decoding needs. */
export function readPngChunks(bytes: Uint8Array): PngParts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let ihdr: Uint8Array | undefined;
  let plte: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let offset = PNG_SIGNATURE.length;
  for (;;) {
    if (offset + 12 > bytes.length) {
      throw corrupt(`the file ends at byte ${bytes.length} before the IEND chunk`);
    }
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) {
      throw corrupt(
        `chunk "${type}" at byte ${offset} declares ${length} data bytes, only ${bytes.length - offset - 12} remain`,
      );
    }
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === "IEND") break;
    if (type === "IHDR") ihdr ??= data;
    else if (type === "PLTE") plte = data;
    else if (type === "tRNS") trns = data;
    else if (type === "IDAT") idat.push(data);
    offset = end;
  }
  if (!ihdr) throw corrupt("no IHDR chunk");
  const header = parseHeader(ihdr);
  if (idat.length === 0) throw corrupt("no IDAT chunk");
  if (header.colorType === 3 && !plte) throw corrupt("an indexed-colour image needs a PLTE chunk");
  return { header, ihdr, plte, trns, idat };
}
