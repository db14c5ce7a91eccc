/**
 * Hostile and unusual PNGs built by hand with node:zlib (not fflate or fast-png, so the tests
 * do not trust the code they check): a decompression bomb, a small file declaring a huge
 * image, a digit carrying a huge compressed iCCP profile, and Adam7-interlaced images.
 */
import { once } from "node:events";
import { crc32, createDeflate, deflateSync } from "node:zlib";

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
export const MiB = 1024 * 1024;

function chunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0) {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colorType, 0, 0, interlace], 8);
  return chunk("IHDR", data);
}

/** A gray PNG with exactly `filtered` as its inflated IDAT stream (filter bytes included). */
export function rawGrayPng(
  width: number,
  height: number,
  filtered: Uint8Array,
  options: { depth?: number; interlace?: 0 | 1 } = {},
): Uint8Array {
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      ihdr(width, height, options.depth ?? 8, 0, options.interlace ?? 0),
      chunk("IDAT", deflateSync(filtered, { level: 9 })),
      chunk("IEND", new Uint8Array(0)),
    ]),
  );
}

/**
 * A `width × height` RGBA PNG of `depth` bits per sample: transparent but for an opaque white
 * diagonal stroke, so a few KB to ~130 KB of file decode to width × height × 4 × depth/8
 * bytes. Rows are deflated one at a time, so building a 4096×4096 16-bit one never holds its
 * 128 MiB of samples.
 */
export async function strokeRgbaPng(
  width: number,
  height: number,
  depth: 8 | 16,
): Promise<Uint8Array> {
  const pixelBytes = (4 * depth) / 8;
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on("data", (piece: Buffer) => out.push(piece));
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * pixelBytes);
    const x = Math.floor((y * width) / height);
    row.fill(0xff, 1 + x * pixelBytes, 1 + (x + 1) * pixelBytes);
    if (!deflate.write(row)) await once(deflate, "drain");
  }
  deflate.end();
  await once(deflate, "end");
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      ihdr(width, height, depth, 6),
      chunk("IDAT", Buffer.concat(out)),
      chunk("IEND", new Uint8Array(0)),
    ]),
  );
}

/**
 * A PNG of colour type `colorType` and `depth` bits (8 or 16) holding `samples` (one value per
 * channel, 0..2^depth-1, row by row), its row y filtered with filter type y mod 5 (PNG spec
 * §9.2: None, Sub, Up, Average, Paeth), encoded here from the spec.
 */
export function filteredPng(
  width: number,
  height: number,
  samples: ArrayLike<number>,
  colorType: 0 | 2 | 4 | 6,
  depth: 8 | 16,
): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const bpp = (channels * depth) / 8;
  const rowBytes = width * bpp;
  const raw = new Uint8Array(rowBytes * height);
  for (let i = 0; i < width * height * channels; i++) {
    if (depth === 8) raw[i] = samples[i];
    else raw.set([samples[i] >> 8, samples[i] & 255], 2 * i);
  }
  const filtered = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const type = y % 5;
    filtered[y * (rowBytes + 1)] = type;
    for (let i = 0; i < rowBytes; i++) {
      const x = raw[y * rowBytes + i];
      const a = i >= bpp ? raw[y * rowBytes + i - bpp] : 0;
      const b = y > 0 ? raw[(y - 1) * rowBytes + i] : 0;
      const c = y > 0 && i >= bpp ? raw[(y - 1) * rowBytes + i - bpp] : 0;
      const predictor = [0, a, b, Math.floor((a + b) / 2), paeth(a, b, c)][type];
      filtered[y * (rowBytes + 1) + 1 + i] = (x - predictor) & 255;
    }
  }
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      ihdr(width, height, depth, colorType),
      chunk("IDAT", deflateSync(filtered)),
      chunk("IEND", new Uint8Array(0)),
    ]),
  );
}

/** The spec's Paeth predictor: whichever of left, up, up-left is nearest to left + up - up-left. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** A PNG declaring 1×1 gray pixels whose IDAT inflates to `inflated` zero bytes. */
export function bombPng(inflated = 64 * MiB): Uint8Array {
  return rawGrayPng(1, 1, new Uint8Array(inflated));
}

/** `png` with an iCCP chunk after its IHDR whose profile field is `profile` as sent. */
export function withIccp(png: Uint8Array, profile: Uint8Array): Uint8Array {
  const afterIhdr = SIGNATURE.length + 25;
  const data = Buffer.concat([Buffer.from("huge profile\0\0", "latin1"), profile]);
  return new Uint8Array(
    Buffer.concat([png.subarray(0, afterIhdr), chunk("iCCP", data), png.subarray(afterIhdr)]),
  );
}

/** `png` with a valid iCCP profile that inflates to `inflated` bytes. */
export function withHugeIccp(png: Uint8Array, inflated = 64 * MiB): Uint8Array {
  return withIccp(png, deflateSync(new Uint8Array(inflated), { level: 9 }));
}

/** Adam7 passes: first column, first row, column step, row step (PNG spec 8.2). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * The Adam7 scanlines (filter type 0) of a gray image of `depth` bits per sample, as
 * separate passes; `samples` holds one value 0..2^depth-1 per pixel, row by row.
 */
export function adam7Scanlines(
  width: number,
  height: number,
  samples: Uint8Array,
  depth: 1 | 2 | 4 | 8,
): Uint8Array {
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    if (x0 >= width || y0 >= height) continue;
    for (let y = y0; y < height; y += dy) {
      const row = new Uint8Array(Math.ceil((Math.ceil((width - x0) / dx) * depth) / 8));
      let bit = 0;
      for (let x = x0; x < width; x += dx, bit += depth) {
        row[bit >> 3] |= samples[y * width + x] << (8 - depth - (bit & 7));
      }
      rows.push(0, ...row);
    }
  }
  return Uint8Array.from(rows);
}
