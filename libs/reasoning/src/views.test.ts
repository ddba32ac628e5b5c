import { createDetector } from "@mirage/detector";
import { describe, expect, it } from "vitest";
import { mirrorCrop, reencodeJpeg, scoreViews } from "./views.js";
import { textured, tinyModelDir } from "./testing/images.js";

describe("views", () => {
  it("mirrors a crop left-right, pixel by pixel", () => {
    // 2 × 2: [a b / c d] → [b a / d c]
    const data = Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    expect(Array.from(mirrorCrop({ x: 5, y: 6, size: 2, data }).data)).toEqual([
      2, 2, 2, 1, 1, 1, 4, 4, 4, 3, 3, 3,
    ]);
  });

  it("scores each view's crops in order, across batch boundaries, with the card's calibration", async () => {
    const detector = await createDetector({ modelDir: tinyModelDir });
    const model = detector.pixelModel!;
    const image = textured(256, 64, (x) => (x < 128 ? [220, 90, 40] : [40, 90, 220]));
    const left = Array.from({ length: 12 }, (_, i) => ({ x: i * 8, y: 0 }));
    const right = Array.from({ length: 9 }, (_, i) => ({ x: 140 + i * 8, y: 16 }));
    const [a, b] = await scoreViews(model, [
      { name: "original", image, positions: left, mirror: false },
      { name: "mirrored", image, positions: right, mirror: true },
    ]);
    expect(a!.logits).toHaveLength(12);
    expect(b!.logits).toHaveLength(9);
    expect(a!.logits.every((l) => l > 2)).toBe(true);
    expect(b!.logits.every((l) => l < -2)).toBe(true);
    expect(a!.pAi).toBeCloseTo(model.calibrate(a!.logit), 12);
    await detector.close();
  });

  it("re-encodes as JPEG and decodes back to the same size", async () => {
    const image = textured(120, 80, () => [100, 150, 200]);
    const again = await reencodeJpeg(image, 90);
    expect([again.width, again.height, again.format]).toEqual([120, 80, "jpeg"]);
    expect(again.data).not.toEqual(image.data);
  });
});
