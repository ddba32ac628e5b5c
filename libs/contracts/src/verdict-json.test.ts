import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Band, DecidedBy, Label, ReasoningMode, ReasoningStage, VerdictSchema } from "./index.js";
import { verdictFromJson, verdictJsonSchema, verdictToJson } from "./verdict-json.js";

describe("verdict JSON contract", () => {
  const verdict = create(VerdictSchema, {
    eventId: "e-1",
    imageId: "img-1",
    label: Label.AI_GENERATED,
    pAi: 0.98765,
    decidedBy: DecidedBy.REASONING,
    band: Band.UNCERTAIN,
    evidence: [{ kind: "pixel-model", summary: "pixel model: 0.93 over 6 crops.", weight: 0.6 }],
    reasoning: {
      mode: ReasoningMode.DEEP,
      steps: [{ stage: ReasoningStage.HEURISTIC, text: "first look" }],
    },
    modelVersions: { triage: "triage-v1", reasoning: "forensic-v1" },
    timings: { triageMs: 12.34, reasoningMs: 800, totalMs: 830 },
    traceId: "0af7651916cd43dd8448eb211c80319c",
  });

  it("spells enums without their prefixes and keeps every pinned field", () => {
    const json = verdictToJson(verdict);
    expect(json).toMatchObject({
      eventId: "e-1",
      imageId: "img-1",
      label: "AI_GENERATED",
      pAi: 0.9877,
      decidedBy: "REASONING",
      band: "UNCERTAIN",
      reasoning: { mode: "DEEP", steps: [{ stage: "HEURISTIC", text: "first look" }] },
      modelVersions: { triage: "triage-v1", reasoning: "forensic-v1" },
      timings: { triageMs: 12.3, reasoningMs: 800, totalMs: 830 },
      traceId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(verdictJsonSchema.safeParse(json).success).toBe(true);
  });

  it("round-trips through JSON", () => {
    const back = verdictFromJson(JSON.parse(JSON.stringify(verdictToJson(verdict))));
    expect(verdictToJson(back)).toEqual(verdictToJson(verdict));
  });

  it("omits reasoning when the reasoning service did not run", () => {
    const json = verdictToJson(
      create(VerdictSchema, { label: Label.NEEDS_REVIEW, decidedBy: DecidedBy.TRIAGE }),
    );
    expect(json.reasoning).toBeUndefined();
    expect(json.label).toBe("NEEDS_REVIEW");
  });

  it("refuses a verdict whose label is unspecified", () => {
    expect(() => verdictToJson(create(VerdictSchema, {}))).toThrow(/Label 0/);
  });

  it("rejects JSON with a label outside the contract", () => {
    expect(() => verdictFromJson({ ...verdictToJson(verdict), label: "FAKE" })).toThrow();
  });
});
