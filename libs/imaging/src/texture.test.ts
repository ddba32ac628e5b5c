import { describe, expect, it } from "vitest";
import type { Crop } from "./crops.js";
import { cropResidualRms, hasTexture, luminance } from "./texture.js";

function crop(size: number, rgb: (x: number, y: number) => [number, number, number]): Crop {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(rgb(x, y), (y * size + x) * 3);
  return { x: 0, y: 0, size, data };
}

describe("cropResidualRms", () => {
  it("is 0 on a flat backdrop and on a smooth ramp: no grain to read", () => {
    expect(cropResidualRms(crop(16, () => [245, 245, 245]))).toBe(0);
    expect(cropResidualRms(crop(16, (x) => [8 * x, 8 * x, 8 * x]))).toBeCloseTo(0, 9);
  });

  it("measures the residual of a pixel against its four neighbours, in grey levels", () => {
    // A checkerboard: every neighbour is the opposite colour, so each residual is ±255.
    expect(cropResidualRms(crop(8, (x, y) => ((x + y) % 2 === 0 ? [255, 255, 255] : [0, 0, 0])))).toBeCloseTo(
      255,
      9,
    );
    // One bright pixel in the interior of a flat crop: residual 100 there, −25 at its 4 neighbours.
    const dot = crop(6, (x, y) => (x === 2 && y === 2 ? [100, 100, 100] : [0, 0, 0]));
    expect(cropResidualRms(dot)).toBeCloseTo(Math.sqrt((100 ** 2 + 4 * 25 ** 2) / 16), 9);
  });

  it("reads luminance with the BT.601 weights", () => {
    const red = crop(2, () => [200, 0, 0]);
    expect(Array.from(luminance(red.data, 2, 0, 0, 2))).toEqual(
      [59.8, 59.8, 59.8, 59.8].map((v) => expect.closeTo(v, 9)),
    );
  });
});

describe("hasTexture", () => {
  it("answers cropResidualRms(crop) >= minRms, on either side of the threshold", () => {
    // One bright dot on a flat crop: a known RMS, read from both sides.
    const dot = crop(32, (x, y) => (x === 9 && y === 20 ? [40, 40, 40] : [245, 245, 245]));
    const rms = cropResidualRms(dot);
    expect(rms).toBeGreaterThan(0);
    expect(hasTexture(dot, rms * 0.999)).toBe(true);
    expect(hasTexture(dot, rms * 1.001)).toBe(false);
    expect(
      hasTexture(
        crop(32, () => [245, 245, 245]),
        0.25,
      ),
    ).toBe(false);
    expect(
      hasTexture(
        crop(32, (x, y) => [(x * 37 + y * 91) % 256, 0, 0]),
        0.25,
      ),
    ).toBe(true);
    expect(
      hasTexture(
        crop(32, () => [0, 0, 0]),
        0,
      ),
    ).toBe(true);
  });
});
