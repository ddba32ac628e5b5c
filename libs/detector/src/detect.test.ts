import { readFile } from "node:fs/promises";
import { Band, DecidedBy, Label, verdictJsonSchema, verdictToJson } from "@mirage/contracts";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetector, type Detector } from "./detect.js";

/** A JPEG with grain everywhere (pseudo-random pixels over grey), so that every crop is read. */
function grainJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: "#808080" } })
    .composite([
      {
        input: Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 251)),
        raw: { width, height, channels: 3 },
      },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe("detect() with the shipped model", () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await createDetector();
  });
  afterAll(() => detector.close());

  it("names the model and fills every timing", async () => {
    const detection = await detector.detect(await grainJpeg(640, 480));
    expect(detector.modelVersion).toBe("triage-v11");
    expect(detection.verdict.modelVersions?.triage).toBe("triage-v11");
    expect(detection.pixel?.logits).toHaveLength(detector.pixelModel!.card.crops.count);
    expect(detection.verdict.evidence.at(-1)?.kind).toBe("pixel-model");
    expect(detection.timings.totalMs).toBeGreaterThan(0);
    expect(verdictJsonSchema.safeParse(verdictToJson(detection.verdict)).success).toBe(true);
    // Triage's verdict follows its band: no REAL without LIKELY_REAL, no AI without LIKELY_AI.
    const { label } = detection.verdict;
    expect(label).toBe(
      detection.band === Band.LIKELY_AI
        ? Label.AI_GENERATED
        : detection.band === Band.LIKELY_REAL
          ? Label.REAL
          : Label.NEEDS_REVIEW,
    );
  });

  it("is never more willing to say REAL under policy strict", async () => {
    const bytes = await grainJpeg(300, 300);
    const normal = await detector.detect(bytes);
    const strict = await detector.detect(bytes, { policy: "strict" });
    expect(strict.verdict.pAi).toBeCloseTo(normal.verdict.pAi, 6);
    if (normal.verdict.label !== Label.REAL) expect(strict.verdict.label).not.toBe(Label.REAL);
  });

  it("leaves an image with nothing but flat backdrop to a person, and says why", async () => {
    // A fully transparent PNG (a failed background removal) is flattened on white: no grain at all.
    // The model would read the backdrop's level, not a trace: 0.01 for clipped white, 1.00 for 245.
    for (const background of [
      { r: 0, g: 0, b: 0, alpha: 0 },
      { r: 245, g: 245, b: 245, alpha: 1 },
    ]) {
      const bytes = await sharp({ create: { width: 800, height: 600, channels: 4, background } })
        .png()
        .toBuffer();
      const detection = await detector.detect(bytes);
      expect(detection.pixel).toBeUndefined();
      expect(detection.pixelsUnread).toMatch(/^Every one of the 16 crops is flat/);
      expect(detection.verdict).toMatchObject({
        label: Label.NEEDS_REVIEW,
        pAi: 0.5,
        decidedBy: DecidedBy.TRIAGE,
      });
      expect(detection.verdict.evidence.at(-1)).toMatchObject({
        kind: "pixel-model",
        weight: 0,
        summary: `pixel model: not read. ${detection.pixelsUnread}; nothing else decides, so a person should look.`,
      });
    }
  });

  describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("on an image smaller than the crop", () => {
    // A real camera photo (train split) squeezed into a banner: read from mirrored pixels, the
    // pixel model called it AI at 0.98; read from none, it goes to a person.
    const photo = () =>
      readFile(sharedPath("datasets/aigi-v1/real/exiv2-testdata/test__data__exiv2-bug922.jpg"));

    it("leaves a 1500 × 40 banner of a real photo to a person, and says why", async () => {
      const bytes = await sharp(await photo())
        .resize(1500, 40, { fit: "fill" })
        .jpeg()
        .toBuffer();
      const detection = await detector.detect(bytes);
      expect(detection.pixel).toBeUndefined();
      expect(detection.verdict).toMatchObject({
        label: Label.NEEDS_REVIEW,
        pAi: 0.5,
        decidedBy: DecidedBy.TRIAGE,
      });
      expect(detection.band).toBe(Band.UNCERTAIN);
      expect(detection.verdict.evidence.at(-1)).toMatchObject({
        kind: "pixel-model",
        weight: 0,
        summary:
          "pixel model: not read. The image is 1500×40, smaller than the 128-px crops the pixel model reads at native resolution; nothing else decides, so a person should look.",
      });
      expect(verdictJsonSchema.safeParse(verdictToJson(detection.verdict)).success).toBe(true);
    });

    it("reads an image of exactly one crop, and leaves it to a person: one crop settles no band", async () => {
      const bytes = await sharp(await photo())
        .resize(128, 128)
        .jpeg()
        .toBuffer();
      const detection = await detector.detect(bytes);
      expect(detection.pixel?.logits).toHaveLength(1);
      const summaries = detection.verdict.evidence.map((e) => e.summary);
      expect(summaries.at(-2)).toMatch(/^pixel model: \d\.\d\d over 1 crop\.$/);
      expect(summaries.at(-1)).toBe(
        "pixel model: only 1 textured crop (fewer than 5): too little of the image to decide from its pixels, so a person should look.",
      );
      expect(detection.verdict.label).toBe(Label.NEEDS_REVIEW);
    });
  });

  describe.skipIf(!sharedAvailable("fixtures/c2pa"))("on the fixtures", () => {
    it("lets a C2PA AI claim decide, whatever the pixels say", async () => {
      const detection = await detector.detect(
        new Uint8Array(await readFile(sharedPath("fixtures/c2pa/openai-dalle3-c2pa-1.png"))),
      );
      expect(detection.verdict).toMatchObject({ label: Label.AI_GENERATED, decidedBy: DecidedBy.PROVENANCE });
      expect(detection.verdict.evidence.map((e) => e.kind)).toEqual(["c2pa", "pixel-model"]);
    });

    it("refuses an image it cannot decode when provenance does not decide", async () => {
      await expect(
        detector.detect(new Uint8Array(await readFile(sharedPath("fixtures/c2pa/sample1.heic")))),
      ).rejects.toMatchObject({
        reason: "unsupported-format",
      });
    });
  });
});
