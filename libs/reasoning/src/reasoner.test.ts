import {
  Band,
  DecidedBy,
  Label,
  ReasoningMode,
  ReasoningStage,
  verdictJsonSchema,
  verdictToJson,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import { createDetector, type Detector } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReasoner, type Reasoner, type ReasoningCard, type ReasoningModeName } from "./index.js";
import { blue, png, red, textured, tinyModelDir, warm, type Rgb } from "./testing/images.js";

const { HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION } = ReasoningStage;

let detector: Detector;
let reasoner: Reasoner;
beforeAll(async () => {
  detector = await createDetector({ modelDir: tinyModelDir });
  reasoner = createReasoner({ detector });
});
afterAll(() => detector.close());

const flat = (rgb: Rgb) => () => rgb;

async function analyze(bytes: Uint8Array, mode: ReasoningModeName, policy: "default" | "strict" = "default") {
  const detection = await detector.detect(bytes, { policy });
  const streamed: ReasoningStep[] = [];
  const verdict = await reasoner.analyze(
    { bytes, detection, mode, policy },
    { onStep: (s) => streamed.push(s) },
  );
  return { detection, verdict, streamed };
}

/** A reasoning card fit on the tiny model: identity calibration, thresholds 0.8 / 0.2 / 0.1, a chosen settle rule. */
function testCard(settleBelow: number, settleAbove: number): ReasoningCard {
  return {
    name: "forensic",
    version: "test",
    triageModel: "tiny-test",
    fitOn: {
      manifest: "test",
      manifestSha256: "0".repeat(64),
      split: "val",
      protocol: "pixels-only",
      variants: ["clean"],
      images: 1,
      evaluations: 1,
    },
    firstLook: { weights: [1, 0], bias: 0 },
    examination: { weights: [1, 0], bias: 0 },
    thresholds: { likelyAi: 0.8, likelyReal: 0.2, strictLikelyReal: 0.1, chosenOn: "val", targets: {} },
    adaptive: { settleBelow, settleAbove, chosenOn: "val", rule: "test" },
    evaluation: {},
  };
}

function stages(verdict: Verdict): ReasoningStage[] {
  return verdict.reasoning!.steps.map((s) => s.stage);
}

function expectContractValid(verdict: Verdict) {
  const parsed = verdictJsonSchema.safeParse(verdictToJson(verdict));
  expect(parsed.success, parsed.error?.message).toBe(true);
}

describe("the forensic reasoner with a real (tiny) ONNX model", () => {
  it("names its version: uncalibrated, since the shipped card was fit on another pixel model", () => {
    expect(reasoner.version).toBe("forensic-uncalibrated");
  });

  it("quick: HEURISTIC then CONCLUSION, from the first impression", async () => {
    const { detection, verdict, streamed } = await analyze(
      await png(textured(256, 192, flat(warm))),
      "quick",
    );
    expect(detection.band).toBe(Band.UNCERTAIN);
    expect(verdict.reasoning?.mode).toBe(ReasoningMode.QUICK);
    expect(stages(verdict)).toEqual([HEURISTIC, CONCLUSION]);
    expect(verdict.pAi).toBe(detection.verdict.pAi);
    expect(verdict.label).toBe(Label.NEEDS_REVIEW);
    expect(verdict.decidedBy).toBe(DecidedBy.REASONING);
    expect(streamed).toEqual(verdict.reasoning!.steps);
    expectContractValid(verdict);
  });

  it("deep: all four stages — a first look, the analysis, a second look even when everything agrees", async () => {
    const { detection, verdict, streamed } = await analyze(await png(textured(256, 192, flat(warm))), "deep");
    expect(verdict.reasoning?.mode).toBe(ReasoningMode.DEEP);
    expect(stages(verdict)).toEqual([
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
    expect(streamed).toEqual(verdict.reasoning!.steps);
    const [, first, views, consistency, noise, jpegHistory, metadata, reflection, conclusion] =
      verdict.reasoning!.steps.map((s) => s.text);
    expect(first).toMatch(/First look: the pixel model over 32 crops of 32 px .*grid 8 × 4\) reads 0\.\d\d/);
    expect(views).toMatch(
      /same 32 crops in 3 views, 96 model calls: original pixels 0\.\d\d, mirrored crops 0\.\d\d, a JPEG q90 re-encode 0\.\d\d/,
    );
    expect(reflection).toMatch(
      /The stages agree .* deep mode looks again anyway\. Looked again at \d+ crops .*The reading holds/,
    );
    expect(conclusion).toMatch(
      /Explanation: the evidence is not strong enough either way .*Decided by: the pixel examination/,
    );
    expect(consistency).toMatch(/one story/);
    expect(noise).toMatch(/Noise residual over \d+ patches of 128 px/);
    expect(jpegHistory).toMatch(/^JPEG history: the file is PNG/);
    expect(metadata).toMatch(/no provenance findings/);
    // The dense grid reads the same warm tint as triage's crops.
    expect(Math.abs(verdict.pAi - detection.verdict.pAi)).toBeLessThan(0.05);
    expect(verdict.label).toBe(Label.NEEDS_REVIEW);
    expectContractValid(verdict);
  });

  it("keeps the triage evidence, adds reasoning evidence, versions, timings and the triage band", async () => {
    const { detection, verdict } = await analyze(await png(textured(256, 192, flat(warm))), "deep");
    expect(verdict.evidence.slice(0, -1)).toEqual(detection.verdict.evidence);
    const reasoning = verdict.evidence.at(-1)!;
    expect(reasoning.kind).toBe("reasoning");
    expect(reasoning.weight).toBeCloseTo(2 * verdict.pAi - 1, 9);
    expect(reasoning.details).toMatchObject({
      mode: "deep",
      views: "5",
      reflected: "true",
      stoppedAfter: "second-look",
    });
    expect(Number(reasoning.details.examinationLogOdds)).toBeCloseTo(
      Math.log(verdict.pAi / (1 - verdict.pAi)),
      3,
    );
    expect(verdict.modelVersions).toMatchObject({ triage: "tiny-test", reasoning: "forensic-uncalibrated" });
    expect(verdict.band).toBe(detection.band);
    expect(verdict.timings!.reasoningMs).toBeGreaterThan(0);
    expect(verdict.timings!.totalMs).toBeCloseTo(verdict.timings!.triageMs + verdict.timings!.reasoningMs, 6);
  });

  it("deep reads labels from the final pAi: strongly red is AI_GENERATED, strongly blue is REAL", async () => {
    const ai = await analyze(await png(textured(256, 192, flat(red))), "deep");
    expect(ai.verdict.label).toBe(Label.AI_GENERATED);
    expect(ai.verdict.pAi).toBeGreaterThan(0.8);
    expect(ai.verdict.reasoning!.steps.at(-1)!.text).toMatch(
      /Explanation: the pixels read as generated: 100% of 32 crops/,
    );
    const real = await analyze(await png(textured(256, 192, flat(blue))), "deep");
    expect(real.verdict.label).toBe(Label.REAL);
    expect(real.verdict.pAi).toBeLessThan(0.2);
    expect(real.verdict.reasoning!.steps.at(-1)!.text).toMatch(
      /Explanation: the pixels read as a photograph: 100% of 32 crops/,
    );
  });

  it("adaptive: quick when the case is easy, deep when it is uncertain", async () => {
    const easy = await analyze(await png(textured(256, 192, flat(red))), "adaptive");
    expect(easy.verdict.reasoning?.mode).toBe(ReasoningMode.QUICK);
    expect(stages(easy.verdict)).toEqual([HEURISTIC, CONCLUSION]);
    expect(easy.verdict.reasoning!.steps[0]!.text).toMatch(/well past the AI threshold/);
    expect(easy.verdict.label).toBe(Label.AI_GENERATED);
    const hard = await analyze(await png(textured(256, 192, flat(warm))), "adaptive");
    expect(hard.verdict.reasoning?.mode).toBe(ReasoningMode.DEEP);
    expect(hard.verdict.reasoning!.steps[0]!.text).toMatch(/hard case/);
    // The stages agree, so adaptive holds the reading without the second look deep mode takes.
    expect(stages(hard.verdict)).toContain(REFLECTION);
    expect(hard.verdict.reasoning!.steps.find((s) => s.stage === REFLECTION)!.text).toMatch(
      /without a second look/,
    );
    expect(hard.verdict.evidence.at(-1)!.details).toMatchObject({ crops: "96", stoppedAfter: "analysis" });
  });

  it("adaptive stops after the first look when the card's rule says it settles, and goes on when it does not", async () => {
    const bytes = await png(textured(256, 192, flat(warm)));
    const detection = await detector.detect(bytes);
    const withRule = (settleBelow: number, settleAbove: number) =>
      createReasoner({ detector, card: testCard(settleBelow, settleAbove) });
    const settles = await withRule(0, 0.01).analyze({
      bytes,
      detection,
      mode: "adaptive",
      policy: "default",
    });
    expect(settles.modelVersions?.reasoning).toBe("forensic-test");
    expect(stages(settles)).toEqual([HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION]);
    expect(settles.reasoning!.steps[2]!.text).toMatch(
      /The first look settles the case: it reads 0\.\d\d .* No second look/,
    );
    expect(settles.evidence.at(-1)!.details).toMatchObject({ crops: "32", stoppedAfter: "first-look" });
    const goesOn = await withRule(0, 1).analyze({ bytes, detection, mode: "adaptive", policy: "default" });
    expect(goesOn.evidence.at(-1)!.details.stoppedAfter).not.toBe("first-look");
    // Deep mode never stops at the first look, whatever the rule.
    const deep = await withRule(0, 0.01).analyze({ bytes, detection, mode: "deep", policy: "default" });
    expect(deep.evidence.at(-1)!.details.stoppedAfter).toBe("second-look");
  });

  it("concludes from what it has when the time budget cannot fit the rest, and says so", async () => {
    const bytes = await png(textured(256, 192, flat(warm)));
    const detection = await detector.detect(bytes);
    const verdict = await reasoner.analyze(
      { bytes, detection, mode: "deep", policy: "default" },
      { budgetMs: 1 },
    );
    expect(stages(verdict)).toEqual([HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION]);
    expect(verdict.reasoning!.steps[2]!.text).toMatch(
      /The time budget \(1 ms, \d+ ms spent\) does not allow/,
    );
    expect(verdict.evidence.at(-1)!.details).toMatchObject({ crops: "32", stoppedAfter: "time-budget" });
    expectContractValid(verdict);
  });

  it("reflects when the crops disagree: left half red, right half blue", async () => {
    const halves = textured(256, 192, (x) => (x < 128 ? red : blue));
    const { detection, verdict, streamed } = await analyze(await png(halves), "deep");
    expect(detection.band).toBe(Band.UNCERTAIN);
    expect(stages(verdict)).toEqual([
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
    expect(streamed).toEqual(verdict.reasoning!.steps);
    const consistency = verdict.reasoning!.steps[3]!.text;
    expect(verdict.reasoning!.steps[5]!.text).toMatch(/^JPEG history: the file is PNG/);
    expect(consistency).toMatch(/most AI-like in the \w+ left .* most real-like in the \w+ right/);
    const reflection = verdict.reasoning!.steps[7]!.text;
    expect(reflection).toMatch(/Reconsidered because the crops disagree/);
    expect(reflection).toMatch(/Looked again at 42 crops of a grid shifted half a crop/);
    expect(reflection).toMatch(/confirms AI-like pixels .* REAL conclusion is ruled out/);
    expect(verdict.evidence.at(-1)!.details).toMatchObject({ crops: "138", views: "5", reflected: "true" });
    // Half generated, half real: never REAL.
    expect(verdict.label).toBe(Label.NEEDS_REVIEW);
    expectContractValid(verdict);
  });

  it("a confirmed AI-like region rules out REAL, lifting pAi only to the edge of LIKELY_REAL", async () => {
    // A red strip on the left, blue elsewhere: the pixels lean real overall, but a region looks generated.
    const strip = textured(256, 192, (x) => (x < 64 ? red : blue));
    const { verdict } = await analyze(await png(strip), "deep");
    const reflection = verdict.reasoning!.steps.find((s) => s.stage === REFLECTION)!.text;
    expect(reflection).toMatch(/confirms AI-like pixels .* REAL conclusion is ruled out/);
    expect(verdict.reasoning!.steps.at(-1)!.text).toMatch(
      /kept at ≥ 0\.21 because a confirmed AI-like region rules out REAL/,
    );
    // Not REAL, and no lean to AI the pixels do not show: just above the real threshold (0.2).
    expect(verdict.pAi).toBeCloseTo(0.21, 10);
    expect(verdict.label).toBe(Label.NEEDS_REVIEW);
    expectContractValid(verdict);
  });

  it("reflects when the first impression and the analysis fall on opposite sides", async () => {
    // Red only where triage's 2 × 2 grid of 32 px crops sits (the corners); blue everywhere else.
    const corners = textured(256, 192, (x, y) => ((x < 32 || x >= 224) && (y < 32 || y >= 160) ? red : blue));
    const { detection, verdict } = await analyze(await png(corners), "deep");
    expect(detection.verdict.pAi).toBeGreaterThan(0.8);
    const reflection = verdict.reasoning!.steps.find((s) => s.stage === REFLECTION);
    expect(reflection?.text).toMatch(
      /the first impression \(0\.9\d\) and the analysis \(0\.\d\d\) fall on opposite sides of 0\.5/,
    );
    expect(verdict.pAi).toBeLessThan(0.5);
    expect(verdict.label).not.toBe(Label.AI_GENERATED);
  });

  it("strict policy reads the stricter real threshold", async () => {
    // Blue enough for REAL under the default policy (≤ 0.2) but not under strict (≤ 0.1).
    const bluish: Rgb = [80, 110, 190];
    const normal = await analyze(await png(textured(256, 192, flat(bluish))), "quick", "default");
    const strict = await analyze(await png(textured(256, 192, flat(bluish))), "quick", "strict");
    expect(normal.verdict.pAi).toBeGreaterThan(0.1);
    expect(normal.verdict.pAi).toBeLessThan(0.2);
    expect(normal.verdict.label).toBe(Label.REAL);
    expect(strict.verdict.label).toBe(Label.NEEDS_REVIEW);
  });

  it("examines an image of exactly one crop: one position, the spectrum skipped and said so", async () => {
    const { verdict } = await analyze(await png(textured(32, 32, flat(red))), "deep");
    const texts = verdict.reasoning!.steps.map((s) => s.text);
    expect(texts[1]).toMatch(/First look: the pixel model over 1 crop of 32 px .*grid 1 × 1\)/);
    expect(texts[2]).toMatch(/same 1 crop in 3 views, 3 model calls/);
    expect(texts[4]).toMatch(/skipped, the image is too small/);
    expect(verdict.label).toBe(Label.AI_GENERATED);
    expectContractValid(verdict);
  });

  it.each(["quick", "adaptive", "deep"] as const)(
    "leaves an image smaller than a crop to a person in %s mode: its pixels are never guessed at",
    async (mode) => {
      // Red reads AI to the tiny model: read from mirrored pixels, this banner would be AI_GENERATED.
      const { detection, verdict } = await analyze(await png(textured(300, 20, flat(red))), mode);
      expect(detection.pixel).toBeUndefined();
      expect(detection.verdict.label).toBe(Label.NEEDS_REVIEW);
      expect(detection.verdict.evidence.map((e) => e.summary).join(" ")).toMatch(
        /pixel model: not read\. The image is 300×20, smaller than the 32-px crops/,
      );
      expect(verdict.label).toBe(Label.NEEDS_REVIEW);
      expect(verdict.pAi).toBe(0.5);
      expect(verdict.evidence.at(-1)!.summary).toMatch(
        /reasoning could not judge the pixels \(the image is 300×20/,
      );
      expectContractValid(verdict);
    },
  );

  it("keeps DEEP on a 2 MP image within the crop budget (≤ 150 model calls), reflection included", async () => {
    const halves = textured(1632, 1224, (x) => (x < 816 ? red : blue));
    const { verdict } = await analyze(await png(halves), "deep");
    expect(stages(verdict)).toContain(REFLECTION);
    const crops = Number(verdict.evidence.at(-1)!.details.crops);
    expect(crops).toBe(96 + 42);
    expect(crops).toBeLessThanOrEqual(150);
    // Everything but the model (crops, re-encode, noise spectra) on a 2 MP image, on a shared CPU.
    expect(verdict.timings!.reasoningMs).toBeLessThan(5_000);
    console.info(
      `deep on 2 MP with the tiny model: ${crops} crops, ${verdict.timings!.reasoningMs.toFixed(0)} ms`,
    );
  });

  it("aborts between stages with DEADLINE_EXCEEDED / reasoning-aborted", async () => {
    const bytes = await png(textured(256, 192, flat(warm)));
    const detection = await detector.detect(bytes);
    const before = new AbortController();
    before.abort(new Error("deadline"));
    const early = reasoner.analyze(
      { bytes, detection, mode: "deep", policy: "default" },
      { signal: before.signal },
    );
    await expect(early).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED", reason: "reasoning-aborted" });

    const during = new AbortController();
    const seen: ReasoningStage[] = [];
    const error = await reasoner
      .analyze(
        { bytes, detection, mode: "deep", policy: "default" },
        {
          signal: during.signal,
          onStep: (step) => {
            seen.push(step.stage);
            during.abort();
          },
        },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MirageError);
    expect((error as MirageError).reason).toBe("reasoning-aborted");
    expect(seen).toEqual([HEURISTIC]);
  });
});

describe("without a pixel model", () => {
  let bare: Detector;
  beforeAll(async () => {
    bare = await createDetector({ modelDir: null });
  });
  afterAll(() => bare.close());

  it("concludes NEEDS_REVIEW and says why, in every mode", async () => {
    const reasonerWithout = createReasoner({ detector: bare });
    const bytes = await png(textured(256, 192, flat(red)));
    const detection = await bare.detect(bytes);
    const expected: Record<ReasoningModeName, ReasoningStage[]> = {
      quick: [HEURISTIC, CONCLUSION],
      adaptive: [HEURISTIC, CONCLUSION],
      deep: [HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION],
    };
    for (const mode of ["quick", "adaptive", "deep"] as const) {
      const verdict = await reasonerWithout.analyze({ bytes, detection, mode, policy: "default" });
      expect(stages(verdict)).toEqual(expected[mode]);
      expect(verdict.label).toBe(Label.NEEDS_REVIEW);
      expect(verdict.pAi).toBe(0.5);
      expect(verdict.reasoning!.steps.at(-1)!.text).toMatch(
        /No pixel model is loaded.*NEEDS_REVIEW rather than a guess/,
      );
      expect(verdict.modelVersions?.triage).toBe("provenance-only");
      expectContractValid(verdict);
    }
  });
});
