import { describe, expect, it } from "vitest";
import { denseGrid, positionsOf, shiftedGrid, subsample } from "./grid.js";

describe("denseGrid", () => {
  it("fills a full rectangle that follows the aspect ratio, edge to edge", () => {
    const grid = denseGrid(1920, 1080, 224, 32);
    expect([grid.xs.length, grid.ys.length]).toEqual([8, 4]);
    expect(grid.xs[0]).toBe(0);
    expect(grid.xs.at(-1)).toBe(1920 - 224);
    expect(grid.ys.at(-1)).toBe(1080 - 224);
    expect(positionsOf(grid)).toHaveLength(32);
  });

  it("never exceeds the crop budget on a square image", () => {
    const grid = denseGrid(1024, 1024, 224, 32);
    // 6 × 5: a full rectangle of 30 rather than 6 × 6 with a ragged last row.
    expect([grid.xs.length, grid.ys.length]).toEqual([6, 5]);
  });

  it("is bounded by the image: crops overlap by at most half along an axis", () => {
    // 300 px holds a crop of 224 plus one more at a stride of 76 (< 112): two per axis.
    expect(denseGrid(300, 300, 224, 32)).toEqual({ xs: [0, 76], ys: [0, 76] });
    expect(denseGrid(224, 224, 224, 32)).toEqual({ xs: [0], ys: [0] });
    expect(denseGrid(100, 80, 224, 32)).toEqual({ xs: [0], ys: [0] });
  });
});

describe("shiftedGrid", () => {
  it("puts crops on the seams between the first grid's crops", () => {
    expect(shiftedGrid({ xs: [0, 100, 200], ys: [0, 50] }, 24)).toEqual([
      { x: 50, y: 25 },
      { x: 150, y: 25 },
    ]);
  });

  it("keeps a single-crop axis in place and is empty for a single crop", () => {
    expect(shiftedGrid({ xs: [10], ys: [0, 40] }, 24)).toEqual([{ x: 10, y: 20 }]);
    expect(shiftedGrid({ xs: [0], ys: [0] }, 24)).toEqual([]);
  });

  it("subsamples evenly to the budget", () => {
    const xs = Array.from({ length: 40 }, (_, i) => i * 10);
    const shifted = shiftedGrid({ xs, ys: [0] }, 24);
    expect(shifted).toHaveLength(24);
    expect(shifted[0]).toEqual({ x: 5, y: 0 });
    expect(subsample([1, 2, 3, 4], 2)).toEqual([1, 3]);
  });
});
