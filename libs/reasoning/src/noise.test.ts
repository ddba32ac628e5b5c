import { decodeImage, encodeJpeg, type DecodedImage } from "@mirage/imaging";
import { describe, expect, it } from "vitest";
import { analyzePatches, noiseThresholds, patchSize } from "./noise.js";
import { readNoise } from "./noise-findings.js";
import { textured } from "./testing/images.js";

const grey = () => [128, 128, 128] as const;
const centres = (image: DecodedImage) =>
  [0.25, 0.75].flatMap((fy) => [0.25, 0.75].map((fx) => ({ x: image.width * fx, y: image.height * fy })));

/** A 2× upscale by linear interpolation: every other sample is the mean of its neighbours. */
function upscale2x(image: DecodedImage): DecodedImage {
  const width = image.width * 2;
  const height = image.height * 2;
  const data = new Uint8Array(width * height * 3);
  const at = (x: number, y: number, c: number) =>
    image.data[(Math.min(y, image.height - 1) * image.width + Math.min(x, image.width - 1)) * 3 + c]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const x0 = x >> 1;
      const y0 = y >> 1;
      const fx = (x & 1) / 2;
      const fy = (y & 1) / 2;
      for (let c = 0; c < 3; c++) {
        const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
        const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
        data[(y * width + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { data, width, height, channels: 3, format: "png" };
}

describe("noise residual and spectrum", () => {
  it("finds grain but no periodic trace in untouched noise", () => {
    const image = textured(512, 512, grey, 40);
    const patches = analyzePatches(image, centres(image));
    expect(patches).toHaveLength(4);
    for (const p of patches) {
      expect(p.size).toBe(256);
      expect(p.energy).toBeGreaterThan(10);
      expect(p.periodic).toBeNull();
      expect(p.blockGrid).toBeLessThan(noiseThresholds.blockGrid);
    }
    const findings = readNoise(patches, false);
    expect(findings.shrink).toBe(1);
    expect(findings.text).toMatch(/No resampling peak/);
  });

  it("finds the 2-px period of a 2× upscale and makes the pixel evidence count less", () => {
    const image = upscale2x(textured(256, 256, grey, 40));
    const patches = analyzePatches(image, centres(image));
    for (const p of patches) expect(p.periodic?.period).toBe(2);
    const findings = readNoise(patches, false);
    expect(findings.period).toBe(2);
    expect(findings.shrink).toBeLessThan(1);
    expect(findings.text).toMatch(/2 px .*2× upscale/);
  });

  it("finds the 8-px block grid of a JPEG", async () => {
    // Smooth content with fine grain: block edges stand out in the residual at quality 75.
    const smooth = textured(512, 512, (x, y) => [100 + x / 8, 90 + y / 8, 120], 8);
    const image = await decodeImage(await encodeJpeg(smooth, 75));
    const findings = readNoise(analyzePatches(image, centres(image)), false);
    expect(findings.blockGrid).toBeGreaterThanOrEqual(3);
    expect(findings.text).toMatch(/8-px block grid in \d of 4/);
    // A JPEG history is no evidence either way: no resampling trace, no shrink.
    expect(findings.period).toBeNull();
    expect(findings.shrink).toBe(1);
  });

  it("skips images too small for a spectrum, and says so", () => {
    expect(patchSize(48, 400)).toBe(0);
    expect(patchSize(200, 400)).toBe(128);
    const findings = readNoise([], true);
    expect(findings.shrink).toBe(1);
    expect(findings.text).toMatch(/too small/);
  });

  it("calls very smooth pixels smooth and shrinks their evidence", () => {
    const image = textured(256, 256, grey, 0.4);
    const findings = readNoise(analyzePatches(image, centres(image)), false);
    expect(findings.energy).toBeLessThan(noiseThresholds.flatEnergy);
    expect(findings.shrink).toBeCloseTo(0.9);
    expect(findings.text).toMatch(/very smooth/);
  });
});
