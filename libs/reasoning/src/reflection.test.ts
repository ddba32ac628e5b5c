import { ReasoningStage } from "@mirage/contracts";
import { createDetector, type Detector } from "@mirage/detector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Analytic } from "./analytic.js";
import { readConsistency } from "./consistency.js";
import type { Examination } from "./examination.js";
import { denseGrid, positionsOf } from "./grid.js";
import { readNoise } from "./noise-findings.js";
import { defaultExaminationBudget } from "./reasoner.js";
import { reasonsToReflect, reflect } from "./reflection.js";
import { textured, tinyModelDir } from "./testing/images.js";
import { createTrace } from "./trace.js";
import type { ViewScore } from "./views.js";

let detector: Detector;
beforeAll(async () => {
  detector = await createDetector({ modelDir: tinyModelDir });
});
afterAll(() => detector.close());

// An analytic result whose views disagree (as a model unstable under re-encoding would), on an
// image the tiny model reads at ≈ 0.88 everywhere.
async function unstableCase() {
  const model = detector.pixelModel!;
  const image = textured(256, 192, () => [190, 110, 90]);
  const grid = denseGrid(image.width, image.height, 32, 32);
  const positions = positionsOf(grid);
  const view = (name: ViewScore["name"], logit: number): ViewScore => ({
    name,
    positions,
    logits: positions.map(() => logit),
    logit,
    pAi: model.calibrate(logit),
  });
  const views = [view("original", 2), view("mirrored", 2), view("jpeg90", -0.5)];
  const analytic: Analytic = {
    grid,
    positions,
    views,
    pixelPAi: model.calibrate(7 / 6),
    consistency: readConsistency(
      positions,
      positions.map(() => 0.76),
      32,
      image,
    ),
    noise: readNoise([], true),
    metadata: { consistent: null, text: "" },
    pAi: model.calibrate(7 / 6),
    viewGap: model.calibrate(2) - model.calibrate(-0.5),
  };
  const trace = createTrace();
  const exam: Examination = {
    model,
    image,
    detection: {} as Examination["detection"],
    policy: "default",
    trace,
    budget: defaultExaminationBudget,
    weakShift: 0,
  };
  return { analytic, exam, trace };
}

describe("reflection", () => {
  it("names each disagreement, and none when the stages agree", async () => {
    const { analytic } = await unstableCase();
    expect(reasonsToReflect(0.76, analytic).map((r) => r.kind)).toEqual(["views"]);
    expect(reasonsToReflect(0.2, analytic).map((r) => r.kind)).toEqual(["sides", "views"]);
    expect(reasonsToReflect(0.76, { ...analytic, viewGap: 0.05 })).toEqual([]);
  });

  it("counts an unstable model's log-odds half, pooled with a second look, and records why", async () => {
    const { analytic, exam, trace } = await unstableCase();
    const result = await reflect(exam, analytic, reasonsToReflect(0.76, analytic));
    expect(result.crops).toBe(42);
    const step = trace.steps.at(-1)!;
    expect(step.stage).toBe(ReasoningStage.REFLECTION);
    expect(step.text).toMatch(
      /^Reconsidered because the views disagree \(a JPEG q90 re-encode 0\.38 against (original pixels|mirrored crops) 0\.88\)/,
    );
    expect(step.text).toMatch(/log-odds count × 0\.5/);
    const pooled = Number(/the pixels read (0\.\d\d)/.exec(step.text)![1]);
    expect(pooled).toBeGreaterThan(0.7);
    // Halved log-odds: pulled toward 0.5, never past it.
    const pooledLogOdds = Math.log(pooled / (1 - pooled));
    expect(result.logOdds).toBeGreaterThan(0);
    expect(result.logOdds).toBeLessThan(0.6 * pooledLogOdds);
    expect(result.ruleOutReal).toBe(false);
  });
});
