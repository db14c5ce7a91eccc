import { encode } from "fast-png";

/**
 * Renders a 28×28 MNIST digit as a bigger picture, as a person's photo or drawing would be:
 * upscaled (nearest neighbour), placed off-centre on a larger canvas, in either polarity.
 */
export function renderDigit(
  pixels: Uint8Array,
  options: { scale: number; canvas: [number, number]; at: [number, number]; darkOnLight: boolean },
): { width: number; height: number; data: Uint8Array } {
  const [width, height] = options.canvas;
  const [left, top] = options.at;
  const data = new Uint8Array(width * height);
  const side = 28 * options.scale;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = pixels[Math.floor(y / options.scale) * 28 + Math.floor(x / options.scale)];
      data[(top + y) * width + left + x] = v;
    }
  }
  if (options.darkOnLight) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  return { width, height, data };
}

export function grayPng(image: { width: number; height: number; data: Uint8Array }): Uint8Array {
  return encode({
    width: image.width,
    height: image.height,
    data: image.data,
    channels: 1,
    depth: 8,
  });
}
