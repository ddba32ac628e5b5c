import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  calibrationFor,
  defaultReasoningCardDir,
  readReasoningCard,
  type ReasoningCard,
} from "./calibration.js";

const shipped = readReasoningCard(defaultReasoningCardDir);
const pixelCard = (thresholds: { likelyAi: number; likelyReal: number; strictLikelyReal: number }) =>
  ({ thresholds }) as Parameters<typeof calibrationFor>[0]["card"];

describe("the shipped reasoning card", () => {
  it("was fit on val, for the shipped pixel model, and says on which data", () => {
    const triageCard = JSON.parse(
      readFileSync(new URL("../../../models/triage/v11/model.json", import.meta.url), "utf8"),
    ) as { name: string; version: string };
    expect(shipped.triageModel).toBe(`${triageCard.name}-${triageCard.version}`);
    expect(shipped.fitOn.split).toBe("val");
    expect(shipped.thresholds.chosenOn).toBe("val");
    expect(shipped.thresholds.likelyReal).toBeLessThan(shipped.thresholds.likelyAi);
    expect(shipped.thresholds.strictLikelyReal).toBeLessThanOrEqual(shipped.thresholds.likelyReal);
    expect(shipped.adaptive.settleBelow).toBeLessThan(shipped.adaptive.settleAbove);
  });
});

describe("calibrationFor", () => {
  const thresholds = { likelyAi: 0.8, likelyReal: 0.2, strictLikelyReal: 0.1 };

  it("uses the card only for the pixel model it was fit on", () => {
    const own = calibrationFor({ version: shipped.triageModel, card: pixelCard(thresholds) }, shipped);
    expect(own.version).toBe(`forensic-${shipped.version}`);
    expect(own.thresholds).toBe(shipped.thresholds);
    const [w0, w1] = shipped.examination.weights;
    expect(own.examination(1, -1)).toBeCloseTo(1 / (1 + Math.exp(-(w0 - w1 + shipped.examination.bias))), 12);
    const other = calibrationFor({ version: "tiny-test", card: pixelCard(thresholds) }, shipped);
    expect(other.version).toBeNull();
    expect(other.thresholds).toEqual(thresholds);
    expect(other.examination(0)).toBe(0.5);
  });

  it("settles a first look only outside the band, and strict narrows the real side", () => {
    const card: ReasoningCard = {
      ...shipped,
      triageModel: "m",
      adaptive: { ...shipped.adaptive, settleBelow: 0.15, settleAbove: 0.85 },
      thresholds: { ...shipped.thresholds, strictLikelyReal: 0.05 },
    };
    const c = calibrationFor({ version: "m", card: pixelCard(thresholds) }, card);
    expect(c.settles(0.9, "default")).toBe(true);
    expect(c.settles(0.5, "default")).toBe(false);
    expect(c.settles(0.1, "default")).toBe(true);
    expect(c.settles(0.1, "strict")).toBe(false);
    expect(c.settles(0.04, "strict")).toBe(true);
  });
});

describe("readReasoningCard", () => {
  it("refuses a card that does not validate, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "reasoning-card-"));
    writeFileSync(join(dir, "model.json"), JSON.stringify({ ...shipped, thresholds: { likelyAi: 2 } }));
    expect(() => readReasoningCard(dir)).toThrow(
      expect.objectContaining({ reason: "reasoning-card-invalid" }),
    );
    expect(() => readReasoningCard(join(dir, "missing"))).toThrow(
      expect.objectContaining({ reason: "reasoning-card-unreadable" }),
    );
  });
});
