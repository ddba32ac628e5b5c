import { extractCrop, type Crop, type DecodedImage } from "@mirage/imaging";
import { describe, expect, it } from "vitest";
import { defaultModelDir } from "./detect.js";
import { createMicroBatcher, loadPixelModel, type InferenceRecord, type PixelModel } from "./pixel-model.js";

/** `count` crops whose logit (in the fake model) is their x. */
function crops(count: number, from = 0, size = 4): Crop[] {
  return Array.from({ length: count }, (_, i) => ({
    x: from + i,
    y: 0,
    size,
    data: new Uint8Array(size * size * 3).fill((from + i) % 256),
  }));
}

/** Runs `check` on the shipped model loaded with no options, and closes the model after. */
async function withShippedModel(check: (model: PixelModel) => Promise<void>): Promise<void> {
  const model = await loadPixelModel(defaultModelDir);
  try {
    await check(model);
  } finally {
    await model.close();
  }
}

/** An image with camera-like grain where `grain(x, y)` holds and a flat 245 grey backdrop elsewhere. */
function grainImage(width: number, height: number, grain: (x: number, y: number) => boolean): DecodedImage {
  const data = new Uint8Array(width * height * 3).fill(245);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!grain(x, y)) continue;
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const value = 100 + (seed % 40);
      data.fill(value, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { data, width, height, channels: 3, format: "png" };
}

/** A fake inference that takes a few ms (like a real one, off the caller's tick) and records batches. */
function fakeInfer() {
  const batches: Array<{ crops: number; calls: number }> = [];
  const infer = async (batch: Crop[], calls: number) => {
    batches.push({ crops: batch.length, calls });
    await new Promise((resolve) => setTimeout(resolve, 5));
    return batch.map((c) => c.x);
  };
  return { infer, batches };
}

describe("createMicroBatcher", () => {
  it("merges concurrent calls into one inference and gives each caller its own logits", async () => {
    const { infer, batches } = fakeInfer();
    const score = createMicroBatcher(infer, { maxCrops: 64, maxWaitMs: 2 });
    const results = await Promise.all([score(crops(16, 0)), score(crops(16, 100)), score(crops(16, 200))]);
    expect(batches).toEqual([{ crops: 48, calls: 3 }]);
    expect(results.map((r) => [r[0], r.at(-1)])).toEqual([
      [0, 15],
      [100, 115],
      [200, 215],
    ]);
  });

  it("keeps merging examinations that score their crops in chunks, one after the other", async () => {
    const { infer, batches } = fakeInfer();
    const score = createMicroBatcher(infer, { maxCrops: 64, maxWaitMs: 2 });
    // Four examinations, each scoring 3 chunks of 16 crops in sequence (as views.ts does).
    const examination = async (id: number) => {
      const logits: number[] = [];
      for (let chunk = 0; chunk < 3; chunk++)
        logits.push(...(await score(crops(16, id * 1000 + chunk * 16))));
      return logits;
    };
    const results = await Promise.all([0, 1, 2, 3].map(examination));
    expect(batches).toEqual([
      { crops: 64, calls: 4 },
      { crops: 64, calls: 4 },
      { crops: 64, calls: 4 },
    ]);
    expect(results[2]).toEqual(Array.from({ length: 48 }, (_, i) => 2000 + i));
  });

  it("gathers the calls made while an inference runs into the next one, not one inference each", async () => {
    const batches: number[] = [];
    const score = createMicroBatcher(
      async (batch: Crop[]) => {
        batches.push(batch.length);
        await new Promise((resolve) => setTimeout(resolve, 40));
        return batch.map((c) => c.x);
      },
      { maxCrops: 64, maxWaitMs: 1 },
    );
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const calls = [score(crops(4))];
    for (let i = 0; i < 4; i++) {
      await pause(6);
      calls.push(score(crops(4)));
    }
    await Promise.all(calls);
    expect(batches).toEqual([4, 16]);
  });

  it("never puts more than maxCrops in a batch, but runs a larger single call alone", async () => {
    const { infer, batches } = fakeInfer();
    const score = createMicroBatcher(infer, { maxCrops: 32, maxWaitMs: 2 });
    await Promise.all([score(crops(20)), score(crops(20)), score(crops(40)), score(crops(5))]);
    expect(batches).toEqual([
      { crops: 20, calls: 1 },
      { crops: 20, calls: 1 },
      { crops: 40, calls: 1 },
      { crops: 5, calls: 1 },
    ]);
    batches.length = 0;
    await Promise.all([score(crops(10)), score(crops(10)), score(crops(10)), score(crops(10))]);
    expect(batches).toEqual([
      { crops: 30, calls: 3 },
      { crops: 10, calls: 1 },
    ]);
  });

  it("fails the callers of a failed inference, and only those", async () => {
    let n = 0;
    const score = createMicroBatcher(
      async (batch: Crop[]) => {
        if (n++ === 0) throw new Error("inference failed");
        return batch.map((c) => c.x);
      },
      { maxCrops: 64, maxWaitMs: 1 },
    );
    const first = await Promise.allSettled([score(crops(2)), score(crops(2))]);
    expect(first.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await score(crops(2, 7))).toEqual([7, 8]);
  });
});

describe("loadPixelModel with the shipped model", () => {
  it("runs on cpu by default, says so, and tells of every inference", async () => {
    const records: InferenceRecord[] = [];
    const model = await loadPixelModel(defaultModelDir, { onInference: (r) => records.push(r) });
    try {
      expect(model.executionProviders).toEqual(["cpu"]);
      expect(model.skippedExecutionProviders).toEqual([]);
      const size = model.card.input.cropSize;
      await model.scoreCrops(crops(3, 0, size));
      expect(records).toEqual([{ crops: 3, calls: 1, ms: expect.any(Number) }]);
    } finally {
      await model.close();
    }
  });

  it("refuses to score an image with a side shorter than its crop, with a typed error that says why", () =>
    withShippedModel(async (model) => {
      const size = model.card.input.cropSize;
      const image = (width: number, height: number) => grainImage(width, height, () => true);
      expect(model.whyUnreadable(image(size, size))).toBeNull();
      expect(model.whyUnreadable(image(4000, size - 1))).toBe(
        `The image is 4000×${size - 1}, smaller than the ${size}-px crops the pixel model reads at native resolution`,
      );
      await expect(model.scoreImage(image(size, size))).resolves.toMatchObject({
        logits: [expect.any(Number)],
      });
      await expect(model.scoreImage(image(size - 1, 4000))).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "image-smaller-than-crop",
        details: { width: size - 1, height: 4000, cropSize: size },
      });
    }));

  it("reads only the textured crops, and says how many of the grid were flat", () =>
    withShippedModel(async (model) => {
      const size = model.card.input.cropSize;
      // A 4 × 4 grid on 4 crops a side: grain on the left half, a flat near-white backdrop on the right.
      const image = grainImage(4 * size, 4 * size, (x) => x < 2 * size);
      const score = await model.scoreImage(image);
      expect(score.crops).toHaveLength(8);
      expect(score.flatCrops).toBe(8);
      expect(score.crops.every((c) => c.x + c.size <= 2 * size)).toBe(true);
      const textured = score.crops.map((c) => extractCrop(image, c.x, c.y, size));
      expect(textured.every(model.isTextured)).toBe(true);
      expect(model.isTextured(extractCrop(image, 3 * size, 0, size))).toBe(false);
      const logits = await model.scoreCrops(textured);
      expect(score.logits).toEqual(logits);
      expect(score.logit).toBeCloseTo(model.aggregate(logits), 6);
      expect(score.pAi).toBeCloseTo(model.calibrate(score.logit), 10);
    }));

  it("lets no single crop outweigh the rest: crop logits are clipped to the card's ±logitClip before the mean", () =>
    withShippedModel(async (model) => {
      const { crops } = model.card;
      expect(crops.aggregation === "mean-logit-textured" && crops.logitClip).toBe(3);
      // One saturated crop among three mild ones: the plain mean would read 2.25, a confident AI.
      expect(model.aggregate([12, -1, -1, -1])).toBeCloseTo(0, 10);
      expect(model.aggregate([-12, 1, 1, 1])).toBeCloseTo(0, 10);
      expect(model.aggregate([2.5, -0.5])).toBeCloseTo(1, 10);
    }));

  it("refuses an image whose every crop is flat, with a typed error that says why", () =>
    withShippedModel(async (model) => {
      const size = model.card.input.cropSize;
      await expect(model.scoreImage(grainImage(3 * size, 2 * size, () => false))).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "image-without-texture",
        message: expect.stringContaining(`Every one of the ${model.card.crops.count} crops is flat`),
      });
    }));

  it("reads one crop less confidently than an image's mean of crops, with the card's crop calibration", () =>
    withShippedModel(async (model) => {
      const { cropCalibration, calibration } = model.card;
      expect(cropCalibration).toBeDefined();
      expect(model.calibrateCrop(2)).toBeCloseTo(
        1 / (1 + Math.exp(-(cropCalibration!.a * 2 + cropCalibration!.b))),
        10,
      );
      expect(model.calibrate(2)).toBeCloseTo(1 / (1 + Math.exp(-(calibration.a * 2 + calibration.b))), 10);
      // The same logit is stronger evidence as the mean of 16 crops than as one noisy crop.
      expect(model.calibrateCrop(2)).toBeLessThan(model.calibrate(2));
      expect(model.calibrateCrop(-2)).toBeGreaterThan(model.calibrate(-2));
    }));

  it("merges concurrent callers' crops into shared inferences when batching", async () => {
    const records: InferenceRecord[] = [];
    const model = await loadPixelModel(defaultModelDir, {
      batch: { maxCrops: 64, maxWaitMs: 2 },
      onInference: (r) => records.push(r),
    });
    try {
      const size = model.card.input.cropSize;
      const alone = await model.scoreCrops(crops(8, 40, size));
      records.length = 0;
      const together = await Promise.all(
        [0, 40, 80, 120].map((from) => model.scoreCrops(crops(8, from, size))),
      );
      expect(records.map(({ crops, calls }) => ({ crops, calls }))).toEqual([{ crops: 32, calls: 4 }]);
      // Batching changes nothing in a crop's score.
      together[1]!.forEach((logit, i) => expect(logit).toBeCloseTo(alone[i]!, 4));
    } finally {
      await model.close();
    }
  });
});
