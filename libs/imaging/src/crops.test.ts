import { describe, expect, it } from "vitest";
import { cropGrid, extractCrop, gridCrops } from "./index.js";
import { pattern } from "./testing/images.js";

describe("cropGrid", () => {
  it.each([
    [1000, 600, 224, 6],
    [600, 1000, 224, 6],
    [4000, 3000, 224, 5],
    [300, 2000, 224, 4],
  ])("spreads %i×%i crops of %i over the whole image (count %i)", (width, height, size, count) => {
    const positions = cropGrid(width, height, size, count);
    expect(positions).toHaveLength(count);
    for (const { x, y } of positions) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + size).toBeLessThanOrEqual(width);
      expect(y + size).toBeLessThanOrEqual(height);
    }
    const xs = positions.map((p) => p.x);
    const ys = positions.map((p) => p.y);
    // Reaches both ends of each axis that has more than one crop position.
    if (new Set(xs).size > 1) expect([Math.min(...xs), Math.max(...xs) + size]).toEqual([0, width]);
    if (new Set(ys).size > 1) expect([Math.min(...ys), Math.max(...ys) + size]).toEqual([0, height]);
  });

  it("covers every pixel when there are enough crops", () => {
    const width = 500;
    const height = 300;
    const size = 224;
    const covered = new Uint8Array(width * height);
    for (const { x, y } of cropGrid(width, height, size, 6)) {
      for (let row = y; row < y + size; row++) covered.fill(1, row * width + x, row * width + x + size);
    }
    expect(covered.every((v) => v === 1)).toBe(true);
  });

  it("gives one crop at the origin for an image smaller than the crop", () => {
    expect(cropGrid(100, 80, 224, 5)).toEqual([{ x: 0, y: 0 }]);
  });
});

describe("extractCrop", () => {
  it("copies the source pixels exactly", () => {
    const image = pattern(40, 30);
    const crop = extractCrop(image, 7, 5, 16);
    for (let row = 0; row < 16; row++) {
      for (let col = 0; col < 16; col++) {
        const src = ((5 + row) * 40 + 7 + col) * 3;
        const dst = (row * 16 + col) * 3;
        expect([...crop.data.subarray(dst, dst + 3)]).toEqual([...image.data.subarray(src, src + 3)]);
      }
    }
    expect(crop).toMatchObject({ x: 7, y: 5, size: 16 });
  });

  it("pads a small image by reflection, not with a flat border", () => {
    // A 3×2 image whose red channel is the column index and green the row index.
    const data = new Uint8Array(3 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) data.set([x, y, 9], (y * 3 + x) * 3);
    const crop = extractCrop({ data, width: 3, height: 2, channels: 3, format: "png" }, 0, 0, 6);
    const column = (col: number) => crop.data[col * 3];
    const row = (r: number) => crop.data[r * 6 * 3 + 1];
    // Columns 0 1 2 | 1 0 1 ..., rows 0 1 | 0 1 0 1 (reflection without repeating the edge).
    expect([0, 1, 2, 3, 4, 5].map(column)).toEqual([0, 1, 2, 1, 0, 1]);
    expect([0, 1, 2, 3, 4, 5].map(row)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it("handles a one-pixel image", () => {
    const crop = extractCrop(
      { data: new Uint8Array([1, 2, 3]), width: 1, height: 1, channels: 3, format: "png" },
      0,
      0,
      2,
    );
    expect([...crop.data]).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
  });
});

describe("gridCrops", () => {
  it("extracts one crop per grid position", () => {
    const image = pattern(300, 200);
    const crops = gridCrops(image, 64, 4);
    expect(crops.map(({ x, y }) => ({ x, y }))).toEqual(cropGrid(300, 200, 64, 4));
    for (const crop of crops) expect(crop.data.length).toBe(64 * 64 * 3);
  });
});
