import { describe, expect, it } from "vitest";
import { Band, DecidedBy, Label } from "@mirage/contracts";
import type { ProvenanceReport } from "@mirage/provenance";
import { bandOf, fuse, regionName } from "./fusion.js";
import type { PixelScore } from "./pixel-model.js";

const thresholds = { likelyAi: 0.9, likelyReal: 0.2, strictLikelyReal: 0.05 };
/** A provenance report of these findings, decisive when one of them is (as analyzeProvenance reports). */
const reportOf = (...evidence: ProvenanceReport["evidence"]): ProvenanceReport => ({
  evidence,
  decisiveAi: evidence.some((e) => e.decisive),
  problems: [],
});
const none = reportOf();
const crops = [
  { x: 0, y: 0, size: 100 },
  { x: 200, y: 0, size: 100 },
  { x: 0, y: 200, size: 100 },
  { x: 200, y: 200, size: 100 },
  { x: 100, y: 0, size: 100 },
  { x: 100, y: 200, size: 100 },
];
/** A pixel score over textured crops (6 unless told: enough to settle a band). */
const pixel = (pAi: number, flatCrops = 0, textured = 6): PixelScore => ({
  pAi,
  flatCrops,
  logit: Math.log(pAi / (1 - pAi)),
  logits: [-1, 2, 0.5, 0, -0.5, 0.2].slice(0, textured),
  cropMs: 0,
  inferMs: 0,
  crops: crops.slice(0, textured),
});
const image = { width: 300, height: 300 };

describe("fuse", () => {
  it("lets decisive provenance win over the pixels", () => {
    const provenance = reportOf({
      kind: "generator-metadata",
      summary: "ComfyUI workflow in PNG text chunks.",
      weight: 1,
      decisive: true,
      details: {},
    });
    const fused = fuse({ provenance, pixel: pixel(0.1), thresholds, image, policy: "default" });
    expect(fused).toMatchObject({
      label: Label.AI_GENERATED,
      decidedBy: DecidedBy.PROVENANCE,
      band: Band.LIKELY_AI,
    });
    expect(fused.pAi).toBeGreaterThanOrEqual(0.99);
    expect(fused.evidence.map((e) => e.kind)).toEqual(["generator-metadata", "pixel-model"]);
  });

  it("reads the calibrated pixel pAi against the thresholds", () => {
    expect(
      fuse({ provenance: none, pixel: pixel(0.95), thresholds, image, policy: "default" }),
    ).toMatchObject({
      label: Label.AI_GENERATED,
      decidedBy: DecidedBy.TRIAGE,
      band: Band.LIKELY_AI,
    });
    expect(fuse({ provenance: none, pixel: pixel(0.1), thresholds, image, policy: "default" }).label).toBe(
      Label.REAL,
    );
    expect(fuse({ provenance: none, pixel: pixel(0.5), thresholds, image, policy: "default" }).label).toBe(
      Label.NEEDS_REVIEW,
    );
  });

  it("narrows LIKELY_REAL under policy strict", () => {
    expect(fuse({ provenance: none, pixel: pixel(0.1), thresholds, image, policy: "strict" }).label).toBe(
      Label.NEEDS_REVIEW,
    );
    expect(bandOf(0.01, thresholds, "strict")).toBe(Band.LIKELY_REAL);
  });

  it("treats camera EXIF as weak evidence only", () => {
    const camera = reportOf({
      kind: "camera-exif",
      summary: "Camera EXIF: Canon EOS 5D.",
      weight: -0.25,
      decisive: false,
      details: {},
    });
    const withExif = fuse({ provenance: camera, pixel: pixel(0.95), thresholds, image, policy: "default" });
    expect(withExif.pAi).toBeLessThan(0.95);
    expect(withExif.pAi).toBeGreaterThan(0.85);
    expect(withExif.evidence.map((e) => e.kind)).toEqual(["camera-exif", "pixel-model"]);
  });

  it("never guesses without pixel evidence", () => {
    expect(fuse({ provenance: none, policy: "default" })).toMatchObject({
      label: Label.NEEDS_REVIEW,
      decidedBy: DecidedBy.TRIAGE,
      band: Band.UNCERTAIN,
      pAi: 0.5,
    });
  });

  it("without pixel evidence, lets weak provenance move pAi but settle nothing", () => {
    // A valid but untrusted C2PA claim of algorithmic media on a graphic with no textured crop.
    const algorithmic = reportOf({
      kind: "c2pa",
      summary: "C2PA manifest declares algorithmicMedia; signer not on the trust list.",
      weight: 0.6,
      decisive: false,
      details: {},
    });
    const fused = fuse({
      provenance: algorithmic,
      pixelsUnread: "Every one of the 16 crops is flat",
      policy: "default",
    });
    expect(fused).toMatchObject({
      label: Label.NEEDS_REVIEW,
      band: Band.UNCERTAIN,
      decidedBy: DecidedBy.TRIAGE,
    });
    // 0.6 × 2 log-odds from even odds: sigmoid(1.2).
    expect(fused.pAi).toBeCloseTo(1 / (1 + Math.exp(-1.2)), 6);
    expect(fused.evidence.map((e) => e.kind)).toEqual(["c2pa", "pixel-model"]);
  });

  it("lets no band be settled by fewer textured crops than it takes, in either direction", () => {
    const minTexturedForBand = 5;
    const few = minTexturedForBand - 1;
    for (const pAi of [0.99, 0.01]) {
      const fused = fuse({
        provenance: none,
        pixel: pixel(pAi, 16 - few, few),
        thresholds,
        minTexturedForBand,
        image,
        policy: "default",
      });
      expect(fused).toMatchObject({
        label: Label.NEEDS_REVIEW,
        band: Band.UNCERTAIN,
        decidedBy: DecidedBy.TRIAGE,
      });
      // pAi still says what the pixels read; only the band waits for a person.
      expect(fused.pAi).toBeCloseTo(pAi, 6);
      expect(fused.evidence.at(-1)?.summary).toBe(
        `pixel model: only ${few} textured crops (fewer than ${minTexturedForBand}): too little of the image to decide from its pixels, so a person should look.`,
      );
    }
    const enough = pixel(0.99, 16 - minTexturedForBand, minTexturedForBand);
    expect(
      fuse({ provenance: none, pixel: enough, thresholds, minTexturedForBand, image, policy: "default" })
        .band,
    ).toBe(Band.LIKELY_AI);
    // A card without the field (cards before v10) lets any reading settle its band.
    expect(
      fuse({ provenance: none, pixel: pixel(0.99, 15, 1), thresholds, image, policy: "default" }).band,
    ).toBe(Band.LIKELY_AI);
  });

  it("says where the strongest crop is", () => {
    const fused = fuse({ provenance: none, pixel: pixel(0.93), thresholds, image, policy: "default" });
    expect(fused.evidence.at(-1)?.summary).toBe(
      "pixel model: 0.93 over 6 crops, strongest in the upper right.",
    );
    expect(
      fuse({ provenance: none, pixel: pixel(0.93, 10), thresholds, image, policy: "default" }).evidence.at(
        -1,
      ),
    ).toMatchObject({
      summary: "pixel model: 0.93 over 6 crops (10 flat crops not read), strongest in the upper right.",
      details: { crops: "6", flatCrops: "10" },
    });
    expect(regionName({ x: 100, y: 100, size: 100 }, image)).toBe("centre");
    expect(regionName({ x: 0, y: 100, size: 100 }, image)).toBe("middle left");
  });
});
