/**
 * MNIST-style normalisation of an arbitrary grayscale picture of a digit, following how the
 * original MNIST was built: ink cropped to its bounding box, scaled (anti-aliased, aspect kept)
 * to fit a 20×20 box, then placed in a 28×28 field so its centre of mass is at the centre.
 * Runtime-free: the browser page bundles this module too.
 */

/** A grayscale image: `width × height` bytes, row-major. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export const MNIST_SIDE = 28;
/** Side of the box the digit is scaled to fit in (MNIST: 20 inside the 28 field). */
export const DIGIT_BOX = 20;

export interface PreprocessResult {
  /** 28×28 bytes, row-major, 0 = background, 255 = ink. */
  readonly pixels: Uint8Array;
  /** False when the picture had no ink at all (pixels are then all 0). */
  readonly hasInk: boolean;
  /** Whether the source was dark ink on a light background (and so was inverted). */
  readonly inverted: boolean;
}

function checkImage(image: GrayImage, channels = 1): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(
      `image: width and height must be positive integers, got ${width}×${height}`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `image: expected ${width}×${height}×${channels} = ${width * height * channels} values, got ${data.length}`,
    );
  }
}

/** ITU-R BT.601 luma, the weights most decoders use for "grayscale". */
function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/**
 * Grayscale from interleaved RGB (3 channels) or RGBA (4 channels) bytes. Transparent pixels
 * are composited over the background that contrasts with the visible ink, so a black stroke on
 * a transparent canvas and a white stroke on one both come out as readable digits.
 */
export function rgbToGray(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: 3 | 4,
): GrayImage {
  checkImage({ width, height, data: data as Uint8Array }, channels);
  const n = width * height;
  const gray = new Uint8Array(n);
  if (channels === 3) {
    for (let i = 0; i < n; i++)
      gray[i] = Math.round(luma(data[3 * i], data[3 * i + 1], data[3 * i + 2]));
    return { width, height, data: gray };
  }
  const level = (i: number) => luma(data[4 * i], data[4 * i + 1], data[4 * i + 2]);
  return composite(data, width, height, 4, level);
}

/**
 * Each pixel's `level` over the matte that contrasts with the opaque content (255, white,
 * when that is mostly dark, else 0), weighted by its alpha (the last of `channels` samples).
 */
function composite(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  level: (pixel: number) => number,
): GrayImage {
  const n = width * height;
  let weight = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = data[channels * i + channels - 1];
    weight += a;
    sum += a * level(i);
  }
  const matte = weight === 0 || sum / weight < 128 ? 255 : 0;
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = data[channels * i + channels - 1] / 255;
    gray[i] = Math.round(a * level(i) + (1 - a) * matte);
  }
  return { width, height, data: gray };
}

/** Grayscale from gray+alpha bytes (PNG colour type 4), composited like `rgbToGray`. */
export function grayAlphaToGray(data: ArrayLike<number>, width: number, height: number): GrayImage {
  checkImage({ width, height, data: data as Uint8Array }, 2);
  return composite(data, width, height, 2, (i) => data[2 * i]);
}

/** Median of the one-pixel frame around the image: the background level. */
function borderLevel(image: GrayImage): number {
  const { width, height, data } = image;
  const values: number[] = [];
  for (let x = 0; x < width; x++) values.push(data[x], data[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) values.push(data[y * width], data[y * width + width - 1]);
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/**
 * Ink intensity 0..255 per pixel: distance from the background level in the ink's direction,
 * stretched so the strongest ink is 255. Differences below `noise` of the range are dropped
 * (paper texture, JPEG-ish speckle) so they don't widen the bounding box.
 */
function inkMap(
  image: GrayImage,
  background: number,
  inverted: boolean,
  noise = 0.1,
): Float64Array {
  const { data } = image;
  const ink = new Float64Array(data.length);
  let strongest = 0;
  for (let i = 0; i < data.length; i++) {
    const d = inverted ? background - data[i] : data[i] - background;
    ink[i] = Math.max(d, 0);
    if (ink[i] > strongest) strongest = ink[i];
  }
  if (strongest === 0) return ink;
  const floor = noise * strongest;
  for (let i = 0; i < ink.length; i++) ink[i] = ink[i] <= floor ? 0 : (ink[i] * 255) / strongest;
  return ink;
}

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

/** Smallest box holding every non-zero value, or null when there is none. */
function inkBounds(ink: Float64Array, width: number, height: number): Box | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Fraction of source cell [s, s+1) covered by the interval [a, b). */
function overlap(s: number, a: number, b: number): number {
  return Math.max(0, Math.min(s + 1, b) - Math.max(s, a));
}

/** Mean of the source area that output pixel (ox, oy) covers, each source pixel weighted by overlap. */
function areaSample(
  src: Float64Array,
  stride: number,
  box: Box,
  ox: number,
  oy: number,
  step: number,
): number {
  const ax = ox * step;
  const ay = oy * step;
  const bx = Math.min(ax + step, box.width);
  const by = Math.min(ay + step, box.height);
  let sum = 0;
  let weight = 0;
  for (let sy = Math.floor(ay); sy < by; sy++) {
    const wy = overlap(sy, ay, by);
    for (let sx = Math.floor(ax); sx < bx; sx++) {
      const w = wy * overlap(sx, ax, bx);
      sum += w * src[(box.y0 + sy) * stride + box.x0 + sx];
      weight += w;
    }
  }
  return weight > 0 ? sum / weight : 0;
}

/** Bilinear sample at the source position matching output pixel (ox, oy)'s centre. */
function bilinearSample(
  src: Float64Array,
  stride: number,
  box: Box,
  ox: number,
  oy: number,
  step: number,
): number {
  const fx = Math.min(Math.max((ox + 0.5) * step - 0.5, 0), box.width - 1);
  const fy = Math.min(Math.max((oy + 0.5) * step - 0.5, 0), box.height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, box.width - 1);
  const y1 = Math.min(y0 + 1, box.height - 1);
  const tx = fx - x0;
  const ty = fy - y0;
  const at = (x: number, y: number) => src[(box.y0 + y) * stride + box.x0 + x];
  const top = at(x0, y0) * (1 - tx) + at(x1, y0) * tx;
  const bottom = at(x0, y1) * (1 - tx) + at(x1, y1) * tx;
  return top * (1 - ty) + bottom * ty;
}

/**
 * Resamples `box` of `src` to `outW × outH` with one uniform `step` (source pixels per output
 * pixel, so the aspect ratio is kept): area-averaging when shrinking, bilinear when enlarging.
 */
function resampleBox(
  src: Float64Array,
  stride: number,
  box: Box,
  outW: number,
  outH: number,
  step: number,
): Float64Array {
  const out = new Float64Array(outW * outH);
  const sample = step >= 1 ? areaSample : bilinearSample;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) out[oy * outW + ox] = sample(src, stride, box, ox, oy, step);
  }
  return out;
}

/**
 * Centre of mass of `v` (w × h) in pixel-index coordinates. MNIST puts this point at index
 * (14, 14): its test set's mean centre of mass is (14.0, 14.0) in index terms, so centring on
 * pixel-centre coordinates would shift every digit half a pixel off.
 */
function centreOfMass(v: Float64Array, w: number, h: number): { x: number; y: number } {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const m = v[y * w + x];
      mass += m;
      mx += m * x;
      my += m * y;
    }
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : { x: (w - 1) / 2, y: (h - 1) / 2 };
}

/** Integer offset putting `com` at index 14, clamped so no ink leaves the field. */
function placement(com: number, size: number): number {
  const ideal = Math.round(MNIST_SIDE / 2 - com);
  return Math.min(Math.max(ideal, 0), MNIST_SIDE - size);
}

/** Whether the picture is dark ink on a light background, judged by its border. */
export function isDarkOnLight(image: GrayImage): boolean {
  return borderLevel(image) >= 128;
}

/**
 * Normalises a grayscale picture of one digit to MNIST's 28×28 convention. Polarity comes
 * from the border (a light border means dark ink, which gets inverted).
 */
export function preprocessGray(image: GrayImage): PreprocessResult {
  checkImage(image);
  const background = borderLevel(image);
  const inverted = background >= 128;
  const ink = inkMap(image, background, inverted);
  const box = inkBounds(ink, image.width, image.height);
  const pixels = new Uint8Array(MNIST_SIDE * MNIST_SIDE);
  if (!box) return { pixels, hasInk: false, inverted };

  const step = Math.max(box.width, box.height) / DIGIT_BOX;
  const outW = Math.max(1, Math.min(DIGIT_BOX, Math.round(box.width / step)));
  const outH = Math.max(1, Math.min(DIGIT_BOX, Math.round(box.height / step)));
  const digit = resampleBox(ink, image.width, box, outW, outH, step);
  const com = centreOfMass(digit, outW, outH);
  const left = placement(com.x, outW);
  const top = placement(com.y, outH);
  const peak = digit.reduce((m, v) => Math.max(v, m), 0);
  // Re-stretch after averaging so thin strokes still reach full ink, as in MNIST.
  const gain = peak > 0 ? 255 / peak : 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      pixels[(top + y) * MNIST_SIDE + left + x] = Math.round(
        Math.min(255, digit[y * outW + x] * gain),
      );
    }
  }
  return { pixels, hasInk: true, inverted };
}
