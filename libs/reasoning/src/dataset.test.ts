import { readFileSync } from "node:fs";
import {
  DecidedBy,
  Label,
  ReasoningMode,
  ReasoningStage,
  verdictJsonSchema,
  verdictToJson,
  type Verdict,
} from "@mirage/contracts";
import { createDetector, type Detector } from "@mirage/detector";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReasoner, type Reasoner } from "./index.js";

const { HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION } = ReasoningStage;

interface Row {
  path: string;
  label: string;
  source: string;
  format: string;
  hasExif: boolean;
  provKind: string;
}

function manifest(): Row[] {
  const [header, ...lines] = readFileSync(sharedPath("datasets/aigi-v1/manifest.csv"), "utf8")
    .trim()
    .split(/\r?\n/);
  const names = header!.split(",");
  const col = (name: string) => names.indexOf(name);
  return lines.map((line) => {
    const f = line.split(",");
    return {
      path: f[col("path")]!,
      label: f[col("label")]!,
      source: f[col("source")]!,
      format: f[col("format")]!,
      hasExif: f[col("has_exif")] === "1",
      provKind: f[col("prov_kind")] ?? "",
    };
  });
}

function valid(verdict: Verdict) {
  const parsed = verdictJsonSchema.safeParse(verdictToJson(verdict));
  expect(parsed.success, parsed.error?.message).toBe(true);
}

// Images of ../shared read in place (never copied into the project).
describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("on real and AI images of aigi-v1", () => {
  let detector: Detector;
  let reasoner: Reasoner;
  let rows: Row[];
  const read = (row: Row) => new Uint8Array(readFileSync(sharedPath("datasets/aigi-v1", row.path)));
  beforeAll(async () => {
    detector = await createDetector(); // the shipped pixel model, so the shipped reasoning card applies;
    reasoner = createReasoner({ detector });
    rows = manifest();
  });
  afterAll(() => detector.close());

  it("passes decisive provenance through as AI_GENERATED, quickly, in every mode", async () => {
    const row = rows.find((r) => r.provKind === "generator-metadata")!;
    const bytes = read(row);
    const detection = await detector.detect(bytes);
    expect(detection.provenance.decisiveAi).toBe(true);
    for (const mode of ["quick", "adaptive", "deep"] as const) {
      const verdict = await reasoner.analyze({ bytes, detection, mode, policy: "default" });
      expect(verdict.label).toBe(Label.AI_GENERATED);
      expect(verdict.decidedBy).toBe(DecidedBy.PROVENANCE);
      expect(verdict.pAi).toBe(detection.verdict.pAi);
      expect(verdict.reasoning?.mode).toBe(ReasoningMode.QUICK);
      expect(verdict.reasoning!.steps.map((s) => s.stage)).toEqual([HEURISTIC, CONCLUSION]);
      const finding = detection.provenance.evidence.find((e) => e.decisive)!;
      expect(verdict.reasoning!.steps[1]!.text).toContain(
        `Decisive provenance stands (${finding.summary.replace(/\.$/, "")}`,
      );
      valid(verdict);
    }
  });

  it("examines real and AI files deeply, with the expected stages and contract-valid verdicts", async () => {
    const picks = [
      rows.find((r) => r.label === "real" && r.hasExif && r.format === "JPEG")!,
      rows.find((r) => r.label === "real" && r.source === "imagenet-samples")!,
      rows.find((r) => r.label === "ai" && r.provKind === "" && r.format === "JPEG")!,
      rows.find((r) => r.label === "ai" && r.provKind === "" && r.format === "PNG")!,
    ];
    for (const row of picks) {
      const bytes = read(row);
      const detection = await detector.detect(bytes);
      const verdict = await reasoner.analyze({ bytes, detection, mode: "deep", policy: "default" });
      const stages = verdict.reasoning!.steps.map((s) => s.stage);
      // Deep: all four stages, every time.
      expect(stages, row.path).toEqual([
        HEURISTIC,
        ANALYTIC,
        ANALYTIC,
        ANALYTIC,
        ANALYTIC,
        ANALYTIC,
        ANALYTIC,
        REFLECTION,
        CONCLUSION,
      ]);
      expect(verdict.decidedBy).toBe(DecidedBy.REASONING);
      const texts = verdict.reasoning!.steps.map((s) => s.text);
      // Concrete numbers and regions.
      expect(texts[1]).toMatch(
        /First look: the pixel model over \d+ crops .* reads [01]\.\d\d.*most AI-like in the [a-z ]+ \([01]\.\d\d\)/,
      );
      expect(texts[4]).toMatch(/^Noise (residual over \d+ patches|and spectrum: skipped)/);
      expect(texts[5]).toMatch(/^JPEG history: /);
      if (row.format === "JPEG") expect(texts[5]).toMatch(/tables/);
      if (row.hasExif && detection.provenance.evidence.some((e) => e.kind === "camera-exif")) {
        expect(texts[6]).toMatch(/camera-exif/);
      }
      expect(texts[7]).toMatch(/Looked again at \d+ crops/);
      // The explanation agrees with the label.
      const explanation = /Explanation: (.*)$/.exec(texts[8]!)![1]!;
      const expected =
        verdict.label === Label.AI_GENERATED
          ? /^the pixels read as generated: \d+% of \d+ crops/
          : verdict.label === Label.REAL
            ? /^the pixels read as a photograph: \d+% of \d+ crops/
            : /^the evidence is not strong enough either way \(pAi 0\.\d\d\)/;
      expect(explanation, row.path).toMatch(expected);
      expect(verdict.modelVersions?.reasoning).toBe("forensic-v11");
      valid(verdict);
    }
  });
});
