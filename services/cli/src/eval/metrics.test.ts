import { describe, expect, it } from "vitest";
import { auroc, computeMetrics, quantile } from "./metrics.js";
import { evalRecord as rec } from "./test-records.js";

describe("metrics", () => {
  it("computes AUROC with ties as half", () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75);
    expect(auroc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(auroc([0.2, 0.9], [true, true])).toBeNaN();
  });

  it("takes the nearest-rank quantile", () => {
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
  });

  it("separates forced-decision accuracy from the published labels", () => {
    const m = computeMetrics([
      rec("ai", 0.99, "AI_GENERATED"),
      rec("ai", 0.6, "NEEDS_REVIEW"),
      rec("real", 0.4, "NEEDS_REVIEW"),
      rec("real", 0.95, "AI_GENERATED"),
      rec("real", 0.01, "REAL"),
      { ...rec("real", 0, "REAL"), pAi: undefined, label: undefined, error: "undecodable-image" },
    ]);
    expect(m.n).toBe(5);
    expect(m.errors).toBe(1);
    expect(m.accuracy).toBeCloseTo(4 / 5);
    expect(m.balancedAccuracy).toBeCloseTo((1 + 2 / 3) / 2);
    expect(m.fprReal).toBeCloseTo(1 / 3);
    expect(m.recallAi).toBeCloseTo(1 / 2);
    expect(m.escalationRate).toBeCloseTo(2 / 5);
    expect(m.decidedAccuracy).toBeCloseTo(2 / 3);
  });
});
