import { ADAM7, type PngParts } from "./png-chunks.ts";
import { PngError } from "./png-error.ts";

/**
 * The inflated image data of a PNG → 8-bit samples, row-major over the whole image (PNG spec
 * §7–9): scanlines unfiltered in place, Adam7 passes put back in place, 16-bit samples cut to
 * their high byte, 1/2/4-bit ones scaled to 0..255, palette indices expanded to RGB or (with a
 * tRNS chunk) RGBA. Written here rather than left to a general decoder because this is what
 * bounds the memory: the output and the inflated data are the only image-sized buffers.
 */

const WHOLE_IMAGE = [[0, 0, 1, 1]] as const;

export interface Samples {
  /** width × height × channels bytes. */
  readonly data: Uint8Array;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (an indexed image comes out as 3 or 4). */
  readonly channels: 1 | 2 | 3 | 4;
}

function corrupt(reason: string): PngError {
  return new PngError(`corrupt PNG: ${reason}`);
}

/** Undoes the filter of each of `rows` scanlines of `rowBytes` (+1 filter byte) at `offset`. */
function unfilter(data: Uint8Array, offset: number, rows: number, rowBytes: number, bpp: number) {
  for (let y = 0; y < rows; y++) {
    const start = offset + y * (rowBytes + 1);
    const row = start + 1;
    const up = row - (rowBytes + 1);
    const hasUp = y > 0;
    switch (data[start]) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < rowBytes; i++) data[row + i] += data[row + i - bpp];
        break;
      case 2:
        if (hasUp) for (let i = 0; i < rowBytes; i++) data[row + i] += data[up + i];
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) {
          const left = i >= bpp ? data[row + i - bpp] : 0;
          data[row + i] += (left + (hasUp ? data[up + i] : 0)) >> 1;
        }
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? data[row + i - bpp] : 0;
          const b = hasUp ? data[up + i] : 0;
          const c = hasUp && i >= bpp ? data[up + i - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          data[row + i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        break;
      default:
        throw corrupt(`scanline ${y} has filter type ${data[start]}, expected 0 to 4`);
    }
  }
}

/** The palette as RGBA bytes (alpha from tRNS, 255 past its end). */
function paletteRgba(parts: PngParts): Uint8Array {
  const plte = parts.plte ?? new Uint8Array(0);
  const entries = Math.floor(plte.length / 3);
  const rgba = new Uint8Array(entries * 4).fill(255);
  for (let i = 0; i < entries; i++) {
    rgba.set(plte.subarray(3 * i, 3 * i + 3), 4 * i);
    if (parts.trns && i < parts.trns.length) rgba[4 * i + 3] = parts.trns[i];
  }
  return rgba;
}

/** 8-bit samples of the image whose inflated, still filtered data is `inflated` (changed). */
export function pngSamples(parts: PngParts, inflated: Uint8Array): Samples {
  const { width, height, bitDepth, channels, colorType, interlaced } = parts.header;
  const indexed = colorType === 3;
  const palette = indexed ? paletteRgba(parts) : undefined;
  const outChannels = (indexed ? (parts.trns ? 4 : 3) : channels) as Samples["channels"];
  const out = new Uint8Array(width * height * outChannels);
  const bitsPerPixel = channels * bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const max = (1 << Math.min(bitDepth, 8)) - 1;
  let offset = 0;
  for (const [x0, y0, dx, dy] of interlaced ? ADAM7 : WHOLE_IMAGE) {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    const h = Math.max(0, Math.ceil((height - y0) / dy));
    if (w === 0 || h === 0) continue;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    unfilter(inflated, offset, h, rowBytes, bpp);
    for (let py = 0; py < h; py++) {
      const row = offset + py * (rowBytes + 1) + 1;
      for (let px = 0; px < w; px++) {
        const at = ((y0 + py * dy) * width + x0 + px * dx) * outChannels;
        if (bitDepth >= 8) {
          const step = bitDepth >> 3;
          const first = row + px * channels * step;
          if (palette) {
            const entry = inflated[first];
            if (4 * entry >= palette.length) throw corrupt(`palette index ${entry} out of range`);
            for (let c = 0; c < outChannels; c++) out[at + c] = palette[4 * entry + c];
          } else {
            for (let c = 0; c < channels; c++) out[at + c] = inflated[first + c * step];
          }
        } else {
          // 1/2/4 bits: gray or indexed, one sample a pixel, packed from the high bit.
          const bit = px * bitDepth;
          const sample = (inflated[row + (bit >> 3)] >> (8 - bitDepth - (bit & 7))) & max;
          if (palette) {
            if (4 * sample >= palette.length) throw corrupt(`palette index ${sample} out of range`);
            for (let c = 0; c < outChannels; c++) out[at + c] = palette[4 * sample + c];
          } else {
            out[at] = Math.round((sample * 255) / max);
          }
        }
      }
    }
    offset += h * (rowBytes + 1);
  }
  return { data: out, channels: outChannels };
}
