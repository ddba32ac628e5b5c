import type { DecodedImage } from "@mirage/imaging";
import { describe, expect, it } from "vitest";
import {
  blockGrid,
  ghostCeiling,
  ghostThresholds,
  latticeFit,
  lumaTable,
  orientTable,
  patchCoefficients,
  readCurve,
  requantiseError,
} from "./jpeg-ghost.js";

function image(width: number, height: number, pixel: (x: number, y: number) => number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(pixel(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { data, width, height, channels: 3, format: "jpeg" };
}

describe("blockGrid", () => {
  it("puts the blocks of a mirrored axis flush with its far end", () => {
    const stored = { width: 517, height: 389 }; // 517 % 8 = 5, 389 % 8 = 5
    const at = (o: number) => {
      const g = blockGrid(o, stored);
      return [g.offsetX, g.offsetY, g.transposed];
    };
    expect([1, 2, 3, 4].map(at)).toEqual([
      [0, 0, false],
      [5, 0, false],
      [5, 5, false],
      [0, 5, false],
    ]);
    // Transposed: the decoded image is 389 × 517; x runs along the stored y.
    expect([5, 6, 7, 8].map(at)).toEqual([
      [0, 0, true],
      [5, 0, true],
      [5, 5, true],
      [0, 5, true],
    ]);
  });
});

describe("patchCoefficients", () => {
  it("gives a flat block only its DC term, 8 × (value − 128)", () => {
    const c = patchCoefficients(
      image(16, 16, () => 200),
      { x: 0, y: 0, size: 16 },
    );
    for (let b = 0; b < 4; b++) {
      expect(c[b * 64]).toBeCloseTo(8 * 72, 9);
      for (let k = 1; k < 64; k++) expect(Math.abs(c[b * 64 + k]!)).toBeLessThan(1e-9);
    }
  });

  it("is orthonormal: the energy of the coefficients is the energy of the pixels", () => {
    const img = image(40, 24, (x, y) => (x * 37 + y * y * 11) % 256);
    const patch = { x: 8, y: 8, size: 16 };
    const c = patchCoefficients(img, patch);
    let pixels = 0;
    for (let y = 8; y < 24; y++)
      for (let x = 8; x < 24; x++) pixels += (img.data[(y * 40 + x) * 3]! - 128) ** 2;
    expect(c.reduce((s, v) => s + v * v, 0)).toBeCloseTo(pixels, 6);
  });

  it("puts horizontal frequencies along a block's row (u) and vertical ones down its column (v)", () => {
    const stripes = patchCoefficients(
      image(8, 8, (x) => (x % 2 === 0 ? 200 : 50)),
      { x: 0, y: 0, size: 8 },
    );
    const strongest = stripes.reduce(
      (best, v, i) => (i > 0 && Math.abs(v) > Math.abs(stripes[best]!) ? i : best),
      1,
    );
    expect(strongest).toBe(7); // row 0, column 7: the highest horizontal frequency
  });
});

describe("requantiseError", () => {
  it("is zero on the table's own lattice and about step²/12 off it", () => {
    const table = lumaTable(50, { offsetX: 0, offsetY: 0, transposed: false });
    const onLattice = Float64Array.from({ length: 64 * 64 }, (_, i) => table[i & 63]! * ((i % 7) - 3));
    expect(requantiseError(onLattice, table)).toBeCloseTo(0, 9);
    const flat = new Uint16Array(64).fill(10);
    const spread = Float64Array.from({ length: 64 * 1000 }, (_, i) => (i * 0.6180339887 * 10) % 1000);
    expect(requantiseError(spread, flat)).toBeCloseTo(100 / 12, 0);
  });

  it("transposes tables for transposed images", () => {
    const table = Uint16Array.from({ length: 64 }, (_, i) => i + 1);
    const t = orientTable(table, { offsetX: 0, offsetY: 0, transposed: true });
    expect(t[1]).toBe(9); // row 0, column 1 ← row 1, column 0
    expect(orientTable(t, { offsetX: 0, offsetY: 0, transposed: true })).toEqual(table);
  });
});

describe("latticeFit", () => {
  const table = new Uint16Array(64).fill(10);
  it("is about 0 on the table's lattice, about 1 off it, and null with too little to tell", () => {
    let seed = 3;
    const jitter = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.7;
    const on = Float64Array.from({ length: 64 * 64 }, (_, i) => 10 * ((i % 9) - 4) + jitter());
    expect(latticeFit(on, table)).toBeLessThan(0.05);
    const off = Float64Array.from({ length: 64 * 64 }, (_, i) => ((i * 0.6180339887 * 80) % 80) - 40);
    expect(latticeFit(off, table)).toBeGreaterThan(0.8);
    expect(latticeFit(new Float64Array(64 * 64), table)).toBeNull(); // all zero: nothing kept
    expect(latticeFit(on, new Uint16Array(64).fill(2))).toBeNull(); // steps too fine to tell
  });
});

describe("readCurve", () => {
  // A single compression's curve: the error falls steadily toward the last quality.
  const falling = (q: number) => (100 - q) ** 1.5;
  // A second compression at `earlier` leaves a well there, 4 qualities wide.
  const well =
    (earlier: number, depth: number) =>
    (q: number): number =>
      falling(q) * (1 - depth * Math.max(0, 1 - Math.abs(q - earlier) / 4));

  it("finds no ghost in a curve that only falls", () => {
    expect(readCurve(falling, 92)).toEqual({ ghostQuality: null, dip: 0 });
  });

  it("finds the well and its exact quality, between the tested qualities too", () => {
    expect(readCurve(well(70, 0.8), 92).ghostQuality).toBe(70);
    expect(readCurve(well(72, 0.8), 92).ghostQuality).toBe(72);
    expect(readCurve(well(72, 0.8), 92).dip).toBeGreaterThan(ghostThresholds.dip);
  });

  it("ignores a shallow well but reports its depth", () => {
    const shallow = readCurve(well(70, 0.35), 92);
    expect(shallow.ghostQuality).toBeNull();
    expect(shallow.dip).toBeGreaterThan(0.05);
    expect(shallow.dip).toBeLessThan(ghostThresholds.dip);
  });

  it("ignores wells near the last quality, where the curve falls into its own minimum", () => {
    expect(readCurve(well(88, 0.9), 92).ghostQuality).toBeNull();
    expect(ghostCeiling(92)).toBe(82);
    expect(readCurve(well(82, 0.9), 92).ghostQuality).toBe(82);
    expect(ghostCeiling(36)).toBeNull();
  });

  it("takes the lowest-quality well, not the deepest (an earlier lattice shows again at half its steps)", () => {
    const both = (q: number) => Math.min(well(60, 0.6)(q), well(80, 0.9)(q));
    expect(readCurve(both, 95).ghostQuality).toBe(60);
  });
});
