import { create } from "@bufbuild/protobuf";
import { VerdictSchema } from "@mirage/contracts";
import type { Detection } from "@mirage/detector";
import { describe, expect, it } from "vitest";
import type { AnalyzeOptions, Reasoner } from "./reasoner.js";
import { withDeadline } from "./deadline.js";

// A reasoner that only records the options it was called with: what withDeadline passes on.
function recording(): Reasoner & { seen: AnalyzeOptions[] } {
  const seen: AnalyzeOptions[] = [];
  return {
    version: "recording",
    thresholds: { likelyAi: 0.9, likelyReal: 0.2, strictLikelyReal: 0.05 },
    seen,
    analyze: async (_input, options = {}) => {
      seen.push(options);
      return create(VerdictSchema);
    },
  };
}

const input = {
  bytes: new Uint8Array(1),
  detection: {} as Detection,
  mode: "deep",
  policy: "default",
} as const;

describe("withDeadline", () => {
  it("turns the deadline into budgetMs, less the reserve to send the verdict", async () => {
    const inner = recording();
    await withDeadline(inner, Date.now() + 3000, 200).analyze(input);
    expect(inner.seen[0]!.budgetMs).toBeGreaterThan(2700);
    expect(inner.seen[0]!.budgetMs).toBeLessThanOrEqual(2800);
    await withDeadline(inner, new Date(Date.now() - 50)).analyze(input);
    expect(inner.seen[1]!.budgetMs).toBe(0);
  });

  it("keeps the reasoner's version and thresholds", () => {
    const inner = recording();
    const wrapped = withDeadline(inner, Date.now() + 3000);
    expect(wrapped).not.toBe(inner);
    expect(wrapped.version).toBe("recording");
    expect(wrapped.thresholds).toEqual({ likelyAi: 0.9, likelyReal: 0.2, strictLikelyReal: 0.05 });
    expect(withDeadline({ ...inner, thresholds: null }, Date.now() + 3000).thresholds).toBeNull();
  });

  it("leaves a budget the caller set, and changes nothing without a deadline", async () => {
    const inner = recording();
    await withDeadline(inner, Date.now() + 3000).analyze(input, { budgetMs: 500 });
    expect(inner.seen[0]!.budgetMs).toBe(500);
    expect(withDeadline(inner, undefined)).toBe(inner);
    expect(withDeadline(inner, new Date(Number.NaN))).toBe(inner);
  });
});
