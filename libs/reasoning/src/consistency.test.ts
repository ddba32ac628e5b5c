import { describe, expect, it } from "vitest";
import { readConsistency } from "./consistency.js";

const image = { width: 300, height: 100 };
const positions = [0, 100, 200].map((x) => ({ x, y: 0 }));

describe("readConsistency", () => {
  it("tells one story when the crops agree", () => {
    const c = readConsistency(positions, [0.6, 0.62, 0.58], 100, image);
    expect(c.disagree).toBe(false);
    expect(c.text).toMatch(/one story/);
  });

  it("says where the image is AI-like and where real-like when it is not of one piece", () => {
    const c = readConsistency(positions, [0.95, 0.5, 0.05], 100, image);
    expect(c.mixed).toBe(true);
    expect(c.disagree).toBe(true);
    expect(c.mostAi.region).toBe("middle left");
    expect(c.mostReal.region).toBe("middle right");
    expect(c.text).toMatch(/composite or local edit/);
  });
});
