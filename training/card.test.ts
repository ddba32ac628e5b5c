/**
 * The triage card's leave-source-out section speaks about the dataset it names: its folds leave out
 * every train and val source exactly once, count the images those sources have, and never a test
 * image. A dataset or grouping change without a rebuilt card fails here. Its thresholds say how firm
 * they are: a bootstrap interval over val images that brackets them (calibrate step).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, sharedAvailable, sharedPath } from "@mirage/test-support";
import { describe, expect, it } from "vitest";
import { readManifest } from "./scripts/manifest.js";

interface Fold {
  fold: string;
  sources: string[];
  real: number;
  ai: number;
  accuracyReal: number | null;
  accuracyAi: number | null;
}
interface Metrics {
  n: number;
  auroc: number;
  balancedAccuracy: number;
}
/** A 95 % interval, [low, high]. */
type Interval = [number, number];
interface Card {
  thresholds: {
    likelyAi: number;
    likelyReal: number;
    interval95: {
      method: string;
      replicates: number;
      likelyAi: Interval;
      likelyReal: Interval;
      escalationRate: Interval;
      escalationRatePixelsOnly: Interval;
    };
  };
  evaluation: {
    val: { pooled: { escalationRate: number }; pixelsOnly: { escalationRate: number } };
    leaveSourceOut: {
      split: string;
      groups: Record<string, string[]>;
      folds: Fold[];
      pooled: Record<"shipped" | "linear" | "mlp", Metrics>;
      val: { sourcesSeen: Metrics; sourcesLeftOut: Metrics };
      /** Images whose crops are all flat: not read, as serving does not read them. */
      unreadImages: string[];
    };
  };
}

const card = JSON.parse(readFileSync(join(repoRoot, "models/triage/v11/model.json"), "utf8")) as Card;
const holdout = card.evaluation.leaveSourceOut;

describe("triage card: how firm the bands are", () => {
  const firm = card.thresholds.interval95;
  const inside = (value: number, [low, high]: Interval) => low <= value && value <= high;

  it("bootstraps val images, not records, with the thresholds re-chosen on each resample", () => {
    expect(firm.method).toMatch(/over val images .*each with all its variants.*re-chosen/);
    expect(firm.replicates).toBeGreaterThanOrEqual(1000);
  });

  it("brackets the shipped thresholds and the val escalation they give", () => {
    expect(inside(card.thresholds.likelyAi, firm.likelyAi)).toBe(true);
    expect(inside(card.thresholds.likelyReal, firm.likelyReal)).toBe(true);
    expect(inside(card.evaluation.val.pooled.escalationRate, firm.escalationRate)).toBe(true);
    expect(inside(card.evaluation.val.pixelsOnly.escalationRate, firm.escalationRatePixelsOnly)).toBe(true);
  });
});

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("triage card: leave-source-out", () => {
  const rows = readManifest(join(sharedPath("datasets/aigi-v1"), "manifest.csv"));
  // The serving decoder refuses HEVC (HEIC) files, so they have no crops to score.
  const scored = rows.filter(
    (r) =>
      (r.split === "train" || r.split === "val") &&
      r.extra["format"] !== "HEIC" &&
      !holdout.unreadImages.includes(r.path),
  );

  it("leaves out every train and val source exactly once, in the groups it names", () => {
    const sources = holdout.folds.flatMap((f) => f.sources);
    expect(new Set(sources).size).toBe(sources.length);
    expect([...sources].sort()).toEqual([...new Set(scored.map((r) => r.source))].sort());
    for (const fold of holdout.folds) {
      if (fold.sources.length > 1) expect(holdout.groups[fold.fold]?.slice().sort()).toEqual(fold.sources);
      else expect(fold.sources).toEqual([fold.fold]);
    }
  });

  it("scores each fold's train and val images, and no test image", () => {
    for (const fold of holdout.folds) {
      const mine = scored.filter((r) => fold.sources.includes(r.source));
      expect({ fold: fold.fold, real: fold.real, ai: fold.ai }).toEqual({
        fold: fold.fold,
        real: mine.filter((r) => r.label === "real").length,
        ai: mine.filter((r) => r.label === "ai").length,
      });
      expect(fold.accuracyReal === null).toBe(fold.real === 0);
      expect(fold.accuracyAi === null).toBe(fold.ai === 0);
    }
    expect(holdout.split).toMatch(/test never read/);
    expect(holdout.pooled.shipped.n).toBe(scored.length);
    expect(holdout.val.sourcesLeftOut.n).toBe(scored.filter((r) => r.split === "val").length);
  });
});
