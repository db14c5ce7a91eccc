import { beforeAll, describe, expect, test } from "bun:test";
import { decode, encode } from "fast-png";
import { loadIdxDataset } from "../../src/adapter/fs/mnist.ts";
import { loadModelDir } from "../../src/adapter/fs/model-files.ts";
import type { Dataset } from "../../src/core/dataset.ts";
import { predictPixels } from "../../src/core/model/forward.ts";
import type { LoadedModel } from "../../src/core/model/layers-json.ts";
import { decodePngGray, MAX_PNG_PIXELS, PngError, readPngSize } from "../../src/core/png.ts";
import {
  type GrayImage,
  grayAlphaToGray,
  isDarkOnLight,
  preprocessGray,
  rgbToGray,
} from "../../src/core/preprocess.ts";
import { trainedModelDir } from "../support/model-fixture.ts";
import {
  adam7Scanlines,
  bombPng,
  filteredPng,
  rawGrayPng,
  strokeRgbaPng,
  withHugeIccp,
  withIccp,
} from "../support/png-bombs.ts";
import { grayPng, renderDigit } from "../support/render.ts";

let data: Dataset;
let model: LoadedModel;

beforeAll(async () => {
  data = await loadIdxDataset();
  model = await loadModelDir(await trainedModelDir());
}, 300_000);

const digit = (i: number) => data.test.images.subarray(i * 784, (i + 1) * 784);

function blank(width: number, height: number, value: number): GrayImage {
  return { width, height, data: new Uint8Array(width * height).fill(value) };
}

/** Centre of mass of a 28×28 image in pixel-index coordinates (MNIST centres it at 14). */
function com(pixels: Uint8Array): { x: number; y: number } {
  let m = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < 784; i++) {
    m += pixels[i];
    x += pixels[i] * (i % 28);
    y += pixels[i] * Math.floor(i / 28);
  }
  return { x: x / m, y: y / m };
}

describe("preprocessGray", () => {
  test("a blank picture has no ink, in either polarity", () => {
    for (const v of [0, 255, 128]) {
      const r = preprocessGray(blank(50, 40, v));
      expect(r.hasInk).toBe(false);
      expect(r.pixels.every((p) => p === 0)).toBe(true);
    }
  });

  test("dark ink on a light background is inverted to MNIST's white-on-black", () => {
    const image = blank(100, 100, 240);
    for (let y = 20; y < 80; y++) for (let x = 40; x < 60; x++) image.data[y * 100 + x] = 10;
    expect(isDarkOnLight(image)).toBe(true);
    const r = preprocessGray(image);
    expect(r.inverted).toBe(true);
    expect(r.hasInk).toBe(true);
    expect(Math.max(...r.pixels)).toBe(255);
    expect(r.pixels[0]).toBe(0);
  });

  test("a tall bar is scaled to 20 rows, keeps its aspect ratio and is centred by mass", () => {
    const image = blank(200, 300, 0);
    for (let y = 50; y < 250; y++) for (let x = 90; x < 110; x++) image.data[y * 200 + x] = 255;
    const { pixels } = preprocessGray(image);
    const rows = new Set<number>();
    const cols = new Set<number>();
    pixels.forEach((v, i) => {
      if (v > 0) {
        rows.add(Math.floor(i / 28));
        cols.add(i % 28);
      }
    });
    expect(rows.size).toBe(20); // 200 px tall → 20
    expect(cols.size).toBe(2); // 20 px wide → 2
    const c = com(pixels);
    expect(Math.abs(c.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(c.y - 14)).toBeLessThanOrEqual(0.5);
  });

  test("a tiny dot is enlarged (bilinear) to the 20×20 box", () => {
    const image = blank(64, 64, 255);
    for (let y = 30; y < 34; y++) for (let x = 30; x < 34; x++) image.data[y * 64 + x] = 0;
    const { pixels, hasInk } = preprocessGray(image);
    expect(hasInk).toBe(true);
    expect(pixels.filter((v) => v > 0).length).toBe(400);
  });

  test("MNIST digits themselves come back almost unchanged", () => {
    let same = 0;
    for (let i = 0; i < 200; i++) {
      const src = digit(i);
      const { pixels } = preprocessGray({ width: 28, height: 28, data: src });
      if (predictPixels(model, pixels).label === predictPixels(model, src).label) same++;
    }
    expect(same).toBeGreaterThanOrEqual(198);
  });

  test("rejects images whose data does not match their size", () => {
    expect(() => preprocessGray({ width: 10, height: 10, data: new Uint8Array(99) })).toThrow(
      "expected 10×10×1 = 100 values, got 99",
    );
    expect(() => preprocessGray({ width: 0, height: 10, data: new Uint8Array(0) })).toThrow(
      "width and height must be positive integers, got 0×10",
    );
  });
});

describe("rgbToGray", () => {
  test("RGB uses luma weights", () => {
    const g = rgbToGray(Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255), 3, 1, 3);
    expect(Array.from(g.data)).toEqual([76, 150, 29]);
  });

  test("transparent pixels become the background that contrasts with the ink", () => {
    // Black stroke on a transparent canvas → white background.
    const black = rgbToGray(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 255), 2, 1, 4);
    expect(Array.from(black.data)).toEqual([255, 0]);
    // White stroke on a transparent canvas → black background.
    const white = rgbToGray(Uint8Array.of(0, 0, 0, 0, 255, 255, 255, 255), 2, 1, 4);
    expect(Array.from(white.data)).toEqual([0, 255]);
  });
});

describe("PNG decoding", () => {
  test("the IHDR size is read before decoding; images over the pixel limit are refused", async () => {
    const png = grayPng(blank(30, 20, 0));
    expect(readPngSize(png)).toEqual({ width: 30, height: 20 });
    const huge = png.slice();
    new DataView(huge.buffer).setUint32(16, MAX_PNG_PIXELS / 20 + 1);
    const error = await pngError(decodePngGray(huge));
    expect(error).toBeInstanceOf(PngError);
    expect(error.status).toBe(413);
    expect(error.message).toBe(
      "PNG too large: 52429×20 8-bit gray is 1048580 pixels and 1.0 MiB of image data; the limits are 1048576 pixels and 4.0 MiB of image data",
    );
    expect((await pngError(decodePngGray(png, 599))).message).toBe(
      "PNG too large: 30×20 8-bit gray is 600 pixels and 0.00 MiB of image data; the limits are 599 pixels and 0.00 MiB of image data",
    );
    expect((await decodePngGray(png, 600)).width).toBe(30);
  });

  test("a 130 KB PNG declaring 4096×4096 16-bit RGBA is refused before anything is inflated", async () => {
    const png = await strokeRgbaPng(4096, 4096, 16);
    expect(png.length).toBeLessThan(1024 * 1024);
    const error = await pngError(decodePngGray(png));
    expect(error.status).toBe(413);
    expect(error.message).toBe(
      "PNG too large: 4096×4096 16-bit RGBA is 16777216 pixels and 128.0 MiB of image data; the limits are 1048576 pixels and 4.0 MiB of image data",
    );
  });

  test("16-bit samples count double: 1024×1024 RGBA decodes at 8 bits, not at 16", async () => {
    const eight = await decodePngGray(await strokeRgbaPng(1024, 1024, 8));
    expect({ width: eight.width, height: eight.height }).toEqual({ width: 1024, height: 1024 });
    expect(Array.from(eight.data.subarray(0, 2))).toEqual([255, 0]); // white stroke, black matte
    const sixteen = await pngError(decodePngGray(await strokeRgbaPng(1024, 1024, 16)));
    expect(sixteen.message).toContain("1024×1024 16-bit RGBA is 1048576 pixels and 8.0 MiB");
    const fits = await decodePngGray(await strokeRgbaPng(724, 724, 16));
    expect(Array.from(fits.data.subarray(0, 2))).toEqual(Array.from(eight.data.subarray(0, 2)));
  });

  test("all five filter types, every colour type, 8 and 16 bits: the same gray as fast-png's decoder", async () => {
    const [width, height] = [13, 11];
    let seed = 1;
    const random = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % (max + 1);
    };
    for (const colorType of [0, 2, 4, 6] as const) {
      for (const depth of [8, 16] as const) {
        const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
        const samples = Array.from({ length: width * height * channels }, () =>
          random(2 ** depth - 1),
        );
        const png = filteredPng(width, height, samples, colorType, depth);
        const reference = decode(png);
        const bytes = Uint8Array.from(reference.data, (v) => (depth === 16 ? v >> 8 : v));
        const expected =
          channels === 1
            ? bytes
            : channels === 2
              ? grayAlphaToGray(bytes, width, height).data
              : rgbToGray(bytes, width, height, channels as 3 | 4).data;
        const got = await decodePngGray(png);
        expect({ colorType, depth, data: Array.from(got.data) }).toEqual({
          colorType,
          depth,
          data: Array.from(expected),
        });
      }
    }
  });

  test("an unknown filter type is a corrupt PNG naming the scanline", async () => {
    const filtered = Uint8Array.of(0, 1, 2, 5, 3, 4);
    expect((await pngError(decodePngGray(rawGrayPng(2, 2, filtered)))).message).toBe(
      "corrupt PNG: scanline 1 has filter type 5, expected 0 to 4",
    );
  });

  test("non-PNG, truncated and corrupt input are PngErrors with a reason", async () => {
    await expect(
      decodePngGray(new TextEncoder().encode("hello, this is not a png file")),
    ).rejects.toThrow("not a PNG: the 8-byte PNG signature is missing");
    await expect(decodePngGray(new Uint8Array(5))).rejects.toThrow("expected at least 24 bytes");
    const png = grayPng(blank(30, 20, 7));
    await expect(decodePngGray(png.subarray(0, 40))).rejects.toThrow(
      new PngError("corrupt PNG: the file ends at byte 40 before the IEND chunk"),
    );
    await expect(decodePngGray(png.subarray(0, png.length - 1))).rejects.toThrow(
      `corrupt PNG: the file ends at byte ${png.length - 1} before the IEND chunk`,
    );
    const garbled = png.slice();
    for (let i = 41; i < garbled.length - 12; i++) garbled[i] ^= 0x5a;
    await expect(decodePngGray(garbled)).rejects.toThrow(/^corrupt PNG/);
  });

  test("decodes gray 8/16-bit, RGB, RGBA and gray+alpha to the same gray values", async () => {
    const g = Uint8Array.of(0, 50, 200, 255);
    const cases = [
      { channels: 1, depth: 8, data: g },
      { channels: 1, depth: 16, data: Uint16Array.from(g, (v) => v * 257) },
      { channels: 3, depth: 8, data: Uint8Array.from([...g].flatMap((v) => [v, v, v])) },
      { channels: 4, depth: 8, data: Uint8Array.from([...g].flatMap((v) => [v, v, v, 255])) },
      { channels: 2, depth: 8, data: Uint8Array.from([...g].flatMap((v) => [v, 255])) },
    ] as const;
    for (const c of cases) {
      const png = encode({ width: 2, height: 2, ...c });
      expect(Array.from((await decodePngGray(png)).data)).toEqual([0, 50, 200, 255]);
    }
  });

  test("decodes 1-bit gray and palette images", async () => {
    const oneBit = encode({
      width: 3,
      height: 2,
      channels: 1,
      depth: 1,
      data: Uint8Array.of(0b10100000, 0b01000000),
    });
    expect(Array.from((await decodePngGray(oneBit)).data)).toEqual([255, 0, 255, 0, 255, 0]);
    const palette = encode({
      width: 2,
      height: 1,
      channels: 1,
      depth: 8,
      data: Uint8Array.of(1, 0),
      palette: [
        [0, 0, 0],
        [255, 255, 255],
      ],
    });
    expect(Array.from((await decodePngGray(palette)).data)).toEqual([255, 0]);
  });
});

async function pngError(decoding: Promise<unknown>): Promise<PngError> {
  try {
    await decoding;
  } catch (error) {
    expect(error).toBeInstanceOf(PngError);
    return error as PngError;
  }
  throw new Error("expected a PngError, but the PNG decoded");
}

/** `width × height` samples of `depth` bits, varied so that misplaced pixels show. */
function graySamples(width: number, height: number, depth: 1 | 2 | 4 | 8): Uint8Array {
  return Uint8Array.from({ length: width * height }, (_, i) => (i * 37 + 11) % (1 << depth));
}

describe("PNG decompression bombs and ancillary chunks", () => {
  test("a 65 KB PNG declaring 1×1 pixels whose IDAT inflates to 64 MiB is refused (422)", async () => {
    const bomb = bombPng();
    expect(bomb.length).toBeLessThan(70_000);
    const error = await pngError(decodePngGray(bomb));
    expect(error.status).toBe(422);
    expect(error.message).toBe(
      "PNG image data inflates to more than 2 bytes, all that its 1×1 header allows",
    );
  });

  test("the bound is exact: one byte over is 422, one byte short is corrupt (400)", async () => {
    const samples = graySamples(5, 3, 8);
    const filtered = Uint8Array.from({ length: 3 * 6 }, (_, i) =>
      i % 6 === 0 ? 0 : samples[Math.floor(i / 6) * 5 + (i % 6) - 1],
    );
    expect(Array.from((await decodePngGray(rawGrayPng(5, 3, filtered))).data)).toEqual(
      Array.from(samples),
    );
    const over = await pngError(decodePngGray(rawGrayPng(5, 3, Uint8Array.of(...filtered, 0))));
    expect(over.status).toBe(422);
    expect(over.message).toContain("more than 18 bytes, all that its 5×3 header allows");
    const short = await pngError(decodePngGray(rawGrayPng(5, 3, filtered.subarray(0, 17))));
    expect(short.status).toBe(400);
    expect(short.message).toBe(
      "corrupt PNG: IDAT data inflates to 17 bytes, its 5×3 header needs 18",
    );
  });

  test("Adam7-interlaced images decode, and their bound adds up the seven passes", async () => {
    for (const [width, height] of [
      [1, 1],
      [3, 5],
      [9, 10],
      [17, 4],
    ]) {
      const samples = graySamples(width, height, 8);
      const scanlines = adam7Scanlines(width, height, samples, 8);
      const png = rawGrayPng(width, height, scanlines, { interlace: 1 });
      const size = { width, height };
      expect({ ...size, data: Array.from((await decodePngGray(png)).data) }).toEqual({
        ...size,
        data: Array.from(samples),
      });
      const over = rawGrayPng(width, height, Uint8Array.of(...scanlines, 0), { interlace: 1 });
      const error = await pngError(decodePngGray(over));
      expect({ ...size, status: error.status, message: error.message }).toEqual({
        ...size,
        status: 422,
        message: `PNG image data inflates to more than ${scanlines.length} bytes, all that its ${width}×${height} header allows`,
      });
    }
  });

  test("interlaced images below 8 bits per sample decode, each pass's rows packed on their own", async () => {
    for (const depth of [1, 2, 4] as const) {
      const samples = graySamples(9, 10, depth);
      const png = rawGrayPng(9, 10, adam7Scanlines(9, 10, samples, depth), {
        depth,
        interlace: 1,
      });
      const scale = 255 / ((1 << depth) - 1);
      expect(Array.from((await decodePngGray(png)).data)).toEqual(
        Array.from(samples, (v) => Math.round(v * scale)),
      );
    }
  });

  test("a digit carrying a 64 MiB compressed iCCP profile decodes to the same pixels", async () => {
    const plain = grayPng(
      renderDigit(data.test.images.subarray(0, 784), {
        scale: 2,
        canvas: [60, 60],
        at: [2, 2],
        darkOnLight: true,
      }),
    );
    const heavy = withHugeIccp(plain);
    expect(heavy.length).toBeGreaterThan(plain.length + 60_000);
    expect(await decodePngGray(heavy)).toEqual(await decodePngGray(plain));
  });

  test("ancillary chunks are never inflated: an iCCP profile that is not zlib is ignored", async () => {
    const plain = grayPng(
      renderDigit(data.test.images.subarray(784, 1568), {
        scale: 1,
        canvas: [28, 28],
        at: [0, 0],
        darkOnLight: false,
      }),
    );
    const odd = withIccp(plain, new TextEncoder().encode("not a zlib stream at all"));
    expect(await decodePngGray(odd)).toEqual(await decodePngGray(plain));
  });

  test("broken chunk structure is a 400 naming the chunk", async () => {
    const png = grayPng(blank(4, 4, 9));
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const longIdat = png.slice();
    view(longIdat).setUint32(33, 1_000_000);
    expect((await pngError(decodePngGray(longIdat))).message).toMatch(
      /^corrupt PNG: chunk "IDAT" at byte 33 declares 1000000 data bytes, only \d+ remain$/,
    );
    const noIend = png.subarray(0, png.length - 12);
    expect((await pngError(decodePngGray(noIend))).message).toBe(
      `corrupt PNG: the file ends at byte ${noIend.length} before the IEND chunk`,
    );
    const badDepth = png.slice();
    badDepth[24] = 3;
    expect((await pngError(decodePngGray(badDepth))).message).toBe(
      "corrupt PNG: IHDR bit depth 3 is not allowed for colour type 0 (expected 1, 2, 4, 8, 16)",
    );
  });
});

describe("real digits rendered as PNGs", () => {
  test("280×280, shifted, both polarities: ≥95 % keep their prediction", async () => {
    const count = 200;
    let agree = 0;
    let correctOriginal = 0;
    let correctPng = 0;
    for (let i = 0; i < count; i++) {
      const src = digit(i);
      const darkOnLight = i % 2 === 0;
      const image = renderDigit(src, {
        scale: 10,
        canvas: [420, 360],
        at: [(i * 37) % 140, (i * 53) % 80],
        darkOnLight,
      });
      const gray = await decodePngGray(grayPng(image));
      const { pixels, inverted } = preprocessGray(gray);
      expect(inverted).toBe(darkOnLight);
      const original = predictPixels(model, src).label;
      const fromPng = predictPixels(model, pixels).label;
      if (fromPng === original) agree++;
      if (original === data.test.labels[i]) correctOriginal++;
      if (fromPng === data.test.labels[i]) correctPng++;
    }
    expect(agree / count).toBeGreaterThanOrEqual(0.95);
    // And accuracy against the true labels is no worse than on the originals (± 2 points).
    expect(correctPng / count).toBeGreaterThanOrEqual(correctOriginal / count - 0.02);
  });
});
