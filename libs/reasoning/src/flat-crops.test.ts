import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Label, ReasoningStage } from "@mirage/contracts";
import { createDetector, type Detector } from "@mirage/detector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReasoner, type Reasoner } from "./index.js";
import { blue, png, red, textured, tinyModelDir, type Rgb } from "./testing/images.js";

// The tiny test model (logit = 2 · (mean R − mean B)) under a card that leaves flat crops unread,
// as the shipped triage card does.
let dir: string;
let detector: Detector;
let reasoner: Reasoner;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mirage-flat-"));
  const card = JSON.parse(await readFile(join(tinyModelDir, "model.json"), "utf8")) as Record<
    string,
    unknown
  >;
  card.crops = { count: 4, aggregation: "mean-logit-textured", flatResidualRms: 0.25 };
  await writeFile(join(dir, "model.json"), JSON.stringify(card));
  await copyFile(join(tinyModelDir, "model.onnx"), join(dir, "model.onnx"));
  detector = await createDetector({ modelDir: dir });
  reasoner = createReasoner({ detector });
});
afterAll(async () => {
  await detector.close();
  await rm(dir, { recursive: true, force: true });
});

/** Grainy red on the left `share` of the width, a flat blue backdrop (no noise at all) elsewhere. */
const redOnFlatBlue = (width: number, height: number, share: number) => {
  const image = textured(width, height, (x) => (x < width * share ? red : blue));
  const flat: Rgb = blue;
  for (let y = 0; y < height; y++)
    for (let x = Math.ceil(width * share); x < width; x++) image.data.set(flat, (y * width + x) * 3);
  return image;
};

describe("flat crops, with a card that leaves them unread", () => {
  it("triage and every reasoning mode read the grainy part alone: red on a flat blue backdrop is red", async () => {
    const bytes = await png(redOnFlatBlue(256, 192, 0.5));
    const detection = await detector.detect(bytes);
    expect(detection.pixel?.flatCrops).toBeGreaterThan(0);
    expect(detection.pixel?.crops.every((c) => c.x + c.size <= 128)).toBe(true);
    expect(detection.verdict.label).toBe(Label.AI_GENERATED);
    const deep = await reasoner.analyze({ bytes, detection, mode: "deep", policy: "default" });
    const first = deep.reasoning!.steps.find((s) => s.text.startsWith("First look"))!.text;
    expect(first).toMatch(
      /First look: the pixel model over 16 crops of 32 px .*grid 8 × 4, 16 flat crops of backdrop not read\)/,
    );
    expect(deep.reasoning!.steps.find((s) => s.stage === ReasoningStage.REFLECTION)!.text).toMatch(
      /Looked again at \d+ crops/,
    );
    expect(deep.label).toBe(Label.AI_GENERATED);
  });

  it("lets no mode settle a band from fewer textured crops than the card's minTexturedForBand", async () => {
    const strictDir = await mkdtemp(join(tmpdir(), "mirage-few-"));
    const card = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as Record<string, unknown>;
    // The first look finds 16 textured positions on this image: ask for one more.
    card.crops = {
      count: 4,
      aggregation: "mean-logit-textured",
      flatResidualRms: 0.25,
      minTexturedForBand: 17,
    };
    await writeFile(join(strictDir, "model.json"), JSON.stringify(card));
    await copyFile(join(dir, "model.onnx"), join(strictDir, "model.onnx"));
    const strictDetector = await createDetector({ modelDir: strictDir });
    try {
      const strictReasoner = createReasoner({ detector: strictDetector });
      const bytes = await png(redOnFlatBlue(256, 192, 0.5));
      const detection = await strictDetector.detect(bytes);
      expect(detection.verdict.label).toBe(Label.NEEDS_REVIEW);
      expect(detection.verdict.pAi).toBeGreaterThan(0.9);
      expect(detection.verdict.evidence.at(-1)!.summary).toMatch(
        /^pixel model: only 2 textured crops \(fewer than 17\)/,
      );
      for (const mode of ["quick", "adaptive", "deep"] as const) {
        const verdict = await strictReasoner.analyze({ bytes, detection, mode, policy: "default" });
        expect(verdict.label).toBe(Label.NEEDS_REVIEW);
        expect(verdict.pAi).toBeGreaterThan(0.9);
        expect(verdict.reasoning!.steps.at(-1)!.text).toMatch(
          /textured crops? of the image \(fewer than 17\): too little to decide/,
        );
      }
    } finally {
      await strictDetector.close();
      await rm(strictDir, { recursive: true, force: true });
    }
  });

  it("leaves an image with nothing but flat crops to a person, in every mode, and says why", async () => {
    const bytes = await png(redOnFlatBlue(256, 192, 0));
    const detection = await detector.detect(bytes);
    expect(detection.pixel).toBeUndefined();
    expect(detection.pixelsUnread).toMatch(/^Every one of the 4 crops is flat/);
    for (const mode of ["quick", "adaptive", "deep"] as const) {
      const verdict = await reasoner.analyze({ bytes, detection, mode, policy: "default" });
      expect(verdict.label).toBe(Label.NEEDS_REVIEW);
      expect(verdict.pAi).toBe(0.5);
      expect(verdict.reasoning!.steps.at(-1)!.text).toContain("Every one of the 4 crops is flat");
    }
  });
});
