import { ReasoningStage, type Verdict } from "@mirage/contracts";
import type { Detection, PixelModel } from "@mirage/detector";
import { throwIfAborted } from "./abort.js";
import { runAnalytic } from "./analytic.js";
import { conclude, type ConclusionInput } from "./conclusion.js";
import { chooseDepth } from "./depth.js";
import { firstImpression } from "./heuristic.js";
import type { AnalyzeInput, AnalyzeOptions, ExaminationBudget } from "./reasoner.js";
import { reasonsToReflect, reflect } from "./reflection.js";
import { logOdds } from "./stats.js";
import { plural } from "./text.js";
import { createTrace } from "./trace.js";

/**
 * One examination: HEURISTIC, then (deep) ANALYTIC and — only when the stages disagree —
 * REFLECTION, then CONCLUSION. The abort signal is checked between stages.
 */
export async function examine(
  model: PixelModel | null,
  input: AnalyzeInput,
  options: AnalyzeOptions,
  version: string,
  budget: ExaminationBudget,
): Promise<Verdict> {
  const started = performance.now();
  const { detection, policy, mode } = input;
  const { signal } = options;
  throwIfAborted(signal, "the first impression");
  const trace = createTrace(options.onStep);
  const decisive = detection.provenance.decisiveAi;
  const thresholds = model?.card.thresholds;
  const image = detection.image;
  const unexaminable = !model ? "No pixel model is loaded" : !image ? "The image could not be decoded" : null;
  const depth = chooseDepth({
    mode,
    decisive,
    canExamine: unexaminable === null,
    triagePAi: detection.verdict.pAi,
    thresholds,
    policy,
  });
  trace.add(ReasoningStage.HEURISTIC, firstImpression(detection, thresholds, policy, depth.why));
  const context: ConclusionInput = { detection, policy, depth: depth.depth, trace, version, started };

  if (decisive) return conclude({ kind: "decisive" }, context);
  if (depth.depth === "quick") {
    throwIfAborted(signal, "the conclusion");
    if (!thresholds) return conclude({ kind: "unexaminable", why: "No pixel model is loaded" }, context);
    const crops = detection.pixel?.logits.length ?? 0;
    return conclude(
      {
        kind: "pAi",
        pAi: detection.verdict.pAi,
        thresholds,
        how: `from the first impression (${plural(crops, "crop")})`,
        crops,
        views: 1,
        reflected: false,
      },
      context,
    );
  }

  throwIfAborted(signal, "the analytic stage");
  if (!model || !image || !thresholds) {
    const why = unexaminable ?? "No pixel model is loaded";
    trace.add(ReasoningStage.ANALYTIC, `${why}: there are no crops, noise or spectrum to examine.`);
    throwIfAborted(signal, "the conclusion");
    return conclude({ kind: "unexaminable", why }, context);
  }
  const exam = { model, image, detection, policy, trace, signal, budget, weakShift: weakShift(detection) };
  const analytic = await runAnalytic(exam);
  throwIfAborted(signal, "reflection");
  const reasons = reasonsToReflect(detection.verdict.pAi, analytic);
  const reflection = reasons.length > 0 ? await reflect(exam, analytic, reasons) : null;
  throwIfAborted(signal, "the conclusion");
  const analyticCrops = analytic.views.reduce((n, v) => n + v.logits.length, 0);
  const crops = analyticCrops + (reflection?.crops ?? 0);
  const views = analytic.views.length + (reflection?.views ?? 0);
  return conclude(
    {
      kind: "pAi",
      pAi: reflection?.pAi ?? analytic.pAi,
      thresholds,
      how: `over ${plural(crops, "crop")} in ${plural(views, "view")}`,
      crops,
      views,
      reflected: reflection !== null,
    },
    context,
  );
}

/**
 * The log-odds triage's weak provenance added to the pixel pAi, read back from the detection
 * (fused pAi against pixel pAi) so that the fusion rule lives in one place, @mirage/detector.
 */
function weakShift(detection: Detection): number {
  if (!detection.pixel) return 0;
  return logOdds(detection.verdict.pAi) - logOdds(detection.pixel.pAi);
}
