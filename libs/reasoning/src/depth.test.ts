import { describe, expect, it } from "vitest";
import { chooseDepth, type DepthInput } from "./depth.js";

const thresholds = { likelyAi: 0.8, likelyReal: 0.2, strictLikelyReal: 0.1 };
const base: DepthInput = {
  mode: "adaptive",
  decisive: false,
  canExamine: true,
  triagePAi: 0.5,
  thresholds,
  policy: "default",
};

describe("chooseDepth", () => {
  it("follows quick and deep as asked", () => {
    expect(chooseDepth({ ...base, mode: "quick" }).depth).toBe("quick");
    expect(chooseDepth({ ...base, mode: "deep", triagePAi: 0.99 }).depth).toBe("deep");
  });

  it("answers decisive provenance quickly in every mode", () => {
    for (const mode of ["quick", "adaptive", "deep"] as const) {
      expect(chooseDepth({ ...base, mode, decisive: true }).depth).toBe("quick");
    }
  });

  it("adaptive: deep in the uncertain band and just past a threshold, quick far past one", () => {
    expect(chooseDepth({ ...base, triagePAi: 0.6 }).depth).toBe("deep");
    expect(chooseDepth({ ...base, triagePAi: 0.82 }).depth).toBe("deep");
    expect(chooseDepth({ ...base, triagePAi: 0.95 }).depth).toBe("quick");
    expect(chooseDepth({ ...base, triagePAi: 0.05 }).depth).toBe("quick");
  });

  it("adaptive under the strict policy reads the stricter real threshold", () => {
    expect(chooseDepth({ ...base, triagePAi: 0.12, policy: "default" }).depth).toBe("quick");
    expect(chooseDepth({ ...base, triagePAi: 0.12, policy: "strict" }).depth).toBe("deep");
  });

  it("adaptive without anything to examine answers quickly and says why", () => {
    const depth = chooseDepth({ ...base, canExamine: false, thresholds: undefined });
    expect(depth.depth).toBe("quick");
    expect(depth.why).toMatch(/nothing deeper/);
  });
});
