import { describe, expect, it } from "vitest";
import { fft } from "./fft.js";

describe("fft", () => {
  it("matches a naive DFT", () => {
    const n = 64;
    const signal = Array.from(
      { length: n },
      (_, t) => Math.sin(t * 0.7) + 0.3 * Math.cos(t * 2.1) + (t % 5) * 0.1,
    );
    const re = Float64Array.from(signal);
    const im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      signal.forEach((v, t) => {
        sr += v * Math.cos((-2 * Math.PI * k * t) / n);
        si += v * Math.sin((-2 * Math.PI * k * t) / n);
      });
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
  });

  it("refuses lengths that are not powers of two", () => {
    expect(() => fft(new Float64Array(48), new Float64Array(48))).toThrow(RangeError);
  });
});
