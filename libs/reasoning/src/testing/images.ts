/**
 * Test images and the tiny test model of this package (not part of the build: tsconfig excludes
 * src/testing). Images are generated, textured with seeded noise so that codecs and the noise
 * analysis see something photo-like rather than flat colour.
 */
import { fileURLToPath } from "node:url";
import { encodePng, type DecodedImage } from "@mirage/imaging";

/** The tiny ONNX model of test-fixtures/: logit = 2 · (mean R − mean B) on [−1, 1] channels, 32 px crops. */
export const tinyModelDir = fileURLToPath(new URL("../../test-fixtures/tiny-model/", import.meta.url));

/** An RGB colour. */
export type Rgb = readonly [number, number, number];

/** An image whose base colour at (x, y) is `colour(x, y)`, plus seeded noise of ± `noise` grey levels. */
export function textured(
  width: number,
  height: number,
  colour: (x: number, y: number) => Rgb,
  noise = 24,
  seed = 1,
): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: deterministic, so a failing test fails the same way every time.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = colour(x, y);
      for (let c = 0; c < 3; c++) {
        data[(y * width + x) * 3 + c] = Math.max(
          0,
          Math.min(255, Math.round(base[c]! + (random() * 2 - 1) * noise)),
        );
      }
    }
  }
  return { data, width, height, channels: 3, format: "png" };
}

/** The same image as PNG bytes. */
export function png(image: DecodedImage): Promise<Uint8Array> {
  return encodePng(image);
}

/** Mildly warm: the tiny model reads pAi ≈ 0.6, in the uncertain band. */
export const warm: Rgb = [150, 128, 120];
/** Strongly red: the tiny model reads pAi ≈ 0.95 (easy AI). */
export const red: Rgb = [220, 90, 40];
/** Strongly blue: the tiny model reads pAi ≈ 0.05 (easy real). */
export const blue: Rgb = [40, 90, 220];
