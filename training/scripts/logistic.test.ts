import { describe, expect, it } from "vitest";
import { fitLogistic, predict } from "./logistic.js";

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("fitLogistic", () => {
  it("recovers the parameters that generated the labels", () => {
    // Deterministic pseudo-random data from a known model: p = sigmoid(1.5·x1 − 0.5·x2 + 0.3).
    const rand = mulberry32(7);
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = [rand() * 6 - 3, rand() * 6 - 3];
      x.push(row);
      y.push(rand() < 1 / (1 + Math.exp(-(1.5 * row[0]! - 0.5 * row[1]! + 0.3))) ? 1 : 0);
    }
    const model = fitLogistic(x, y, { l2: 0 });
    expect(model.weights[0]).toBeCloseTo(1.5, 1);
    expect(model.weights[1]).toBeCloseTo(-0.5, 1);
    expect(model.bias).toBeCloseTo(0.3, 1);
    expect(predict(model, [0, 0])).toBeCloseTo(1 / (1 + Math.exp(-model.bias)), 10);
  });

  it("stays finite on separable data thanks to the L2 penalty", () => {
    const model = fitLogistic([[-2], [-1], [1], [2]], [0, 0, 1, 1], { l2: 1e-2 });
    expect(Number.isFinite(model.weights[0])).toBe(true);
    expect(model.weights[0]).toBeGreaterThan(0);
  });

  it("with balanceClasses, reads the likelihood ratio at even odds whatever the class mix", () => {
    // Class-conditional x ~ N(+1, 1) for AI, N(−1, 1) for real: log-likelihood ratio = 2x. With 3 AI
    // rows to every real one, the unweighted fit learns the 3:1 prior in its bias (≈ ln 3) and the
    // balanced fit does not (≈ 0); both learn the slope.
    const rand = mulberry32(11);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40_000; i++) {
      const label = i % 4 === 0 ? 0 : 1;
      x.push([gaussian() + (label === 1 ? 1 : -1)]);
      y.push(label);
    }
    const unweighted = fitLogistic(x, y, { l2: 0 });
    const balanced = fitLogistic(x, y, { l2: 0, balanceClasses: true });
    expect(unweighted.bias).toBeCloseTo(Math.log(3), 1);
    expect(balanced.bias).toBeCloseTo(0, 1);
    expect(balanced.weights[0]).toBeCloseTo(2, 1);
    expect(() => fitLogistic([[1], [2]], [1, 1], { balanceClasses: true })).toThrow(RangeError);
  });
});
