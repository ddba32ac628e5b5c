import { describe, expect, it } from "vitest";
import { classifyTables, ijgChrominance, ijgLuminance, ijgScale, ijgTable } from "./jpeg-tables.js";

describe("IJG tables", () => {
  it("scales as libjpeg's jpeg_quality_scaling does", () => {
    expect([1, 10, 49, 50, 75, 90, 100].map(ijgScale)).toEqual([5000, 500, 102, 100, 50, 20, 0]);
    expect(Array.from(ijgTable(ijgLuminance, 50))).toEqual(ijgLuminance);
    expect(Array.from(ijgTable(ijgLuminance, 100))).toEqual(Array<number>(64).fill(1));
    // libjpeg rounds half up: 16 × 50% = 8, 11 × 50% = 5.5 → 6.
    expect(Array.from(ijgTable(ijgLuminance, 75).slice(0, 3))).toEqual([8, 6, 5]);
    // Baseline clamps at 255; 16-bit tables go on.
    expect(ijgTable(ijgLuminance, 1)[0]).toBe(255);
    expect(ijgTable(ijgLuminance, 1, 32767)[0]).toBe(800);
  });
});

describe("classifyTables", () => {
  it("recognises libjpeg's tables at every quality, baseline-clamped or not, with or without chroma", () => {
    for (let q = 1; q <= 100; q++) {
      for (const max of [255, 32767]) {
        expect(classifyTables(ijgTable(ijgLuminance, q, max), ijgTable(ijgChrominance, q, max))).toEqual({
          kind: "standard",
          quality: q,
        });
        expect(classifyTables(ijgTable(ijgLuminance, q, max), null)).toEqual({
          kind: "standard",
          quality: q,
        });
      }
    }
  });

  it("accepts the same scaling rounded down (encoders that truncate) as standard", () => {
    for (const q of [60, 85, 92]) {
      const scale = ijgScale(q);
      const truncated = Uint16Array.from(ijgLuminance, (b) => Math.max(1, Math.floor((b * scale) / 100)));
      expect(classifyTables(truncated, null)).toEqual({ kind: "standard", quality: q });
    }
  });

  it("calls tables of another shape custom, with the closest quality", () => {
    // IJG q85 with its high frequencies coarsened, as camera tables often are.
    const reshaped = ijgTable(ijgLuminance, 85).map((v, i) => (i % 8 >= 4 ? v + 4 : v));
    const custom = classifyTables(reshaped, null);
    expect(custom.kind).toBe("custom");
    expect(custom.kind === "custom" && Math.abs(custom.nearestQuality - 85) <= 5).toBe(true);
    // A flat table (every step 2) is no scaled IJG table.
    expect(classifyTables(new Uint16Array(64).fill(2), null).kind).toBe("custom");
  });

  it("calls luminance and chrominance of different qualities custom", () => {
    const mixed = classifyTables(ijgTable(ijgLuminance, 90), ijgTable(ijgChrominance, 70));
    expect(mixed.kind).toBe("custom");
    expect(mixed.kind === "custom" && mixed.nearestQuality >= 70 && mixed.nearestQuality <= 90).toBe(true);
  });
});
