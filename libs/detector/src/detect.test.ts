import { readFile } from "node:fs/promises";
import { Band, DecidedBy, Label, verdictJsonSchema, verdictToJson } from "@mirage/contracts";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDetector, type Detector } from "./detect.js";

describe("detect() with the shipped model", () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await createDetector();
  });
  afterAll(() => detector.close());

  it("names the model and fills every timing", async () => {
    const bytes = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#808080" } })
      .composite([
        {
          input: Buffer.from(Array.from({ length: 640 * 480 * 3 }, (_, i) => (i * 7919) % 251)),
          raw: { width: 640, height: 480, channels: 3 },
        },
      ])
      .jpeg({ quality: 90 })
      .toBuffer();
    const detection = await detector.detect(bytes);
    expect(detector.modelVersion).toBe("triage-v7");
    expect(detection.verdict.modelVersions?.triage).toBe("triage-v7");
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
    const bytes = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#3a7" } })
      .png()
      .toBuffer();
    const normal = await detector.detect(bytes);
    const strict = await detector.detect(bytes, { policy: "strict" });
    expect(strict.verdict.pAi).toBeCloseTo(normal.verdict.pAi, 6);
    if (normal.verdict.label !== Label.REAL) expect(strict.verdict.label).not.toBe(Label.REAL);
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
