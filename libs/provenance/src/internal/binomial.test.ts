import { describe, expect, it } from "vitest";
import { binomialTailHalf, normalUpperTail, poissonBinomialTail } from "./binomial.js";

describe("normalUpperTail", () => {
  it("matches tabulated values, deep tails included (relative error < 1e-6)", () => {
    const table: [number, number][] = [
      [0, 0.5],
      [1, 0.15865525393145707],
      [1.96, 0.024997895148220435],
      [3, 0.0013498980316301035],
      [5, 2.866515718791939e-7],
      [8, 6.220960574271785e-16],
      [-2, 0.9772498680518208],
    ];
    for (const [x, expected] of table)
      expect(Math.abs(normalUpperTail(x) / expected - 1), String(x)).toBeLessThan(1e-6);
  });
});

describe("poissonBinomialTail", () => {
  it("equals the fair-coin binomial tail when every probability is ½", () => {
    for (const [n, k] of [
      [48, 34],
      [32, 25],
      [136, 85],
      [10, 0],
      [10, 11],
    ] as const) {
      const tail = poissonBinomialTail(new Float64Array(n).fill(0.5), k);
      expect(tail, `${n} ${k}`).toBeCloseTo(binomialTailHalf(n, k), 12);
    }
  });

  it("is exact on a small mixed case", () => {
    // P(X₁ + X₂ + X₃ ≥ 2) with p = 0.1, 0.5, 0.9: 0.1·0.5 + 0.1·0.9 + 0.5·0.9 − 2·0.1·0.5·0.9.
    expect(poissonBinomialTail([0.1, 0.5, 0.9], 2)).toBeCloseTo(0.05 + 0.09 + 0.45 - 0.09, 15);
    expect(poissonBinomialTail([1, 1, 0], 2)).toBe(1);
    expect(poissonBinomialTail([1, 1, 0], 3)).toBe(0);
  });
});
