import { describe, expect, it } from "vitest";
import { bootstrapRankings, metricIntervals, wilsonInterval } from "./intervals.js";
import { evalRecord as record } from "./test-records.js";

describe("wilsonInterval", () => {
  it("matches the textbook values", () => {
    const [low, high] = wilsonInterval(5, 10);
    expect(low).toBeCloseTo(0.2366, 4);
    expect(high).toBeCloseTo(0.7634, 4);
  });

  it("is not empty at none of n: no false positive in 98 real images still allows 3.8 %", () => {
    const [low, high] = wilsonInterval(0, 98);
    expect(low).toBe(0);
    expect(high).toBeCloseTo(0.0377, 3);
    expect(wilsonInterval(98, 98)[1]).toBeCloseTo(1, 12);
  });

  it("has no interval without images", () => {
    expect(wilsonInterval(0, 0)).toEqual([NaN, NaN]);
  });
});

describe("bootstrapRankings", () => {
  it("gives a point interval when the classes never overlap", () => {
    const [balanced, area] = bootstrapRankings([0.9, 0.8, 0.7], [0.1, 0.2, 0.3, 0.4]);
    expect(balanced).toEqual([1, 1]);
    expect(area).toEqual([1, 1]);
  });

  it("spreads around overlapping scores, the same on every run", () => {
    const ai = Array.from({ length: 50 }, (_, i) => 0.3 + (0.7 * i) / 50);
    const real = Array.from({ length: 100 }, (_, i) => (0.7 * i) / 100);
    const [balanced, area] = bootstrapRankings(ai, real);
    expect(area[0]).toBeLessThan(area[1]);
    expect(area[0]).toBeGreaterThan(0.7);
    expect(area[1]).toBeLessThan(1);
    expect(balanced[0]).toBeLessThan(balanced[1]);
    expect(bootstrapRankings(ai, real)).toEqual([balanced, area]);
  });

  it("has no interval with one class missing", () => {
    expect(bootstrapRankings([0.9], [])).toEqual([
      [NaN, NaN],
      [NaN, NaN],
    ]);
  });
});

describe("metricIntervals", () => {
  it("counts the published labels per class and leaves failed images out", () => {
    const records = [
      record("ai", 0.95, "AI_GENERATED"),
      record("ai", 0.6, "NEEDS_REVIEW"),
      record("real", 0.97, "AI_GENERATED"),
      record("real", 0.05, "REAL"),
      record("real", 0.02, "REAL"),
      { ...record("real", 0, "REAL"), pAi: undefined, label: undefined, error: "undecodable-image" },
    ];
    const ci = metricIntervals(records);
    expect(ci.fprReal).toEqual(wilsonInterval(1, 3));
    expect(ci.recallAi).toEqual(wilsonInterval(1, 2));
    expect(ci.escalationRate).toEqual(wilsonInterval(1, 5));
  });

  it("does not depend on the order the images finished in", () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      record(i % 3 === 0 ? "ai" : "real", ((i * 37) % 40) / 40, "NEEDS_REVIEW"),
    );
    expect(metricIntervals([...records].reverse())).toEqual(metricIntervals(records));
  });
});
