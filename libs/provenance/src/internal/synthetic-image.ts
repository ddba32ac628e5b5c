import type { RgbPixels } from "./dwt-dct-votes.js";

/**
 * A deterministic textured RGB image (smooth gradients plus xorshift noise) for tests: the same
 * pixels in every run, so decoded watermark bits can be pinned against the Python reference.
 */
export function syntheticImage(width: number, height: number, seed = 0x9e3779b9): RgbPixels {
  const data = new Uint8Array(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        // xorshift32
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        const base = (x * (3 + c) + y * (5 - c) + ((x * y) >> 6)) & 255;
        const noise = (state & 63) - 32;
        const value = Math.round(base * 0.75 + 32 + noise);
        data[(y * width + x) * 3 + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return { data, width, height, channels: 3 };
}
