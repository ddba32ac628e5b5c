import { ReasoningStage, type Verdict } from "@mirage/contracts";
import { minTexturedForBand, sigmoid, type Detection, type PixelModel } from "@mirage/detector";
import { throwIfAborted } from "./abort.js";
import { runAnalytic } from "./analytic.js";
import type { ReasoningCalibration } from "./calibration.js";
import { conclude, type ConclusionInput } from "./conclusion.js";
import { chooseDepth } from "./depth.js";
import { firstLook } from "./first-look.js";
import { firstImpression } from "./heuristic.js";
import type { AnalyzeInput, AnalyzeOptions, ExaminationBudget } from "./reasoner.js";
import { holdWithoutSecondLook, reasonsToReflect, reflect } from "./reflection.js";
import { logOdds } from "./stats.js";
import { p2, plural } from "./text.js";
import { createTrace } from "./trace.js";

/**
 * What the rest of the examination costs after the first look, in first looks: two more views
 * of the same crops plus a JPEG re-encode and the noise analysis (~3), and a second look of up to
 * 2 × 24 crops (~1.5). Used only to decide whether a time budget allows going on.
 */
const REST_IN_FIRST_LOOKS = 4.5;
/** How far above the LIKELY_REAL threshold a ruled-out REAL is kept: clear of it at two decimals. */
const REAL_EDGE = 0.01;

/** Everything {@link examine} needs besides the request. */
export interface ExamineContext {
  model: PixelModel | null;
  calibration: ReasoningCalibration | null;
  version: string;
  budget: ExaminationBudget;
}

/**
 * One examination: HEURISTIC, then ANALYTIC (a first look over a dense grid — where ADAPTIVE stops
 * when it settles the case — then test-time augmentation, consistency, noise, metadata),
 * REFLECTION (a second look: always in deep mode, on disagreement in adaptive mode) and
 * CONCLUSION. The abort signal is checked between stages; a time budget ends the examination
 * early, with what it has, rather than running past the caller's deadline.
 */
export async function examine(
  input: AnalyzeInput,
  options: AnalyzeOptions,
  context: ExamineContext,
): Promise<Verdict> {
  const started = performance.now();
  const { model, calibration } = context;
  const { detection, policy, mode } = input;
  const { signal } = options;
  throwIfAborted(signal, "the first impression");
  const trace = createTrace(options.onStep);
  const decisive = detection.provenance.decisiveAi;
  const image = detection.image;
  const unexaminable = !model
    ? "No pixel model is loaded"
    : !image
      ? "The image could not be decoded"
      : (model.whyUnreadable(image) ?? detection.pixelsUnread ?? null);
  const depth = chooseDepth({
    mode,
    decisive,
    canExamine: unexaminable === null,
    triagePAi: detection.verdict.pAi,
    thresholds: model?.card.thresholds,
    policy,
  });
  trace.add(ReasoningStage.HEURISTIC, firstImpression(detection, model?.card.thresholds, policy, depth.why));
  // The card's fewest textured crops that may settle a band, for every reading concluded below.
  const minPositions = model ? minTexturedForBand(model.card) : 1;
  const concluding: ConclusionInput = {
    detection,
    policy,
    depth: depth.depth,
    trace,
    version: context.version,
    started,
  };

  if (decisive) return conclude({ kind: "decisive" }, concluding);
  if (depth.depth === "quick") {
    throwIfAborted(signal, "the conclusion");
    if (!model || unexaminable) {
      return conclude({ kind: "unexaminable", why: unexaminable ?? "No pixel model is loaded" }, concluding);
    }
    const crops = detection.pixel?.logits.length ?? 0;
    return conclude(
      {
        kind: "pAi",
        pAi: detection.verdict.pAi,
        thresholds: model.card.thresholds,
        how: `from the first impression (${plural(crops, "crop")})`,
        crops,
        positions: crops,
        minPositions,
        views: 1,
        reflected: false,
        stoppedAfter: "first-impression",
        findings: null,
      },
      concluding,
    );
  }

  throwIfAborted(signal, "the analytic stage");
  if (!model || !image || !calibration || !detection.pixel) {
    const why = unexaminable ?? "No pixel model is loaded";
    trace.add(ReasoningStage.ANALYTIC, `${why}: there are no crops, noise or spectrum to examine.`);
    trace.add(
      ReasoningStage.REFLECTION,
      "Nothing to reconsider: no pixel evidence was read, so nothing can be weighed.",
    );
    throwIfAborted(signal, "the conclusion");
    return conclude({ kind: "unexaminable", why }, concluding);
  }
  const triageLogOdds = logOdds(detection.pixel.pAi);
  const weak = weakShift(detection);
  const exam = {
    bytes: input.bytes,
    model,
    image,
    detection,
    policy,
    trace,
    signal,
    budget: context.budget,
    weakShift: weak,
  };
  const withWeakProvenance = (p: number) => sigmoidShift(p, weak);

  const first = await firstLook(exam);
  const firstPAi = withWeakProvenance(calibration.firstLook(first.logOdds, triageLogOdds));
  const elapsed = performance.now() - started;
  const overBudget =
    options.budgetMs !== undefined && elapsed + first.ms * REST_IN_FIRST_LOOKS > options.budgetMs;
  const settled = depth.adaptive && calibration.settles(firstPAi, policy);
  if (settled || overBudget) {
    const why = settled
      ? `The first look settles the case: it reads ${p2(firstPAi)} with triage's reading, ${calibration.settleRule}.`
      : `The time budget (${Math.round(options.budgetMs!)} ms, ${Math.round(elapsed)} ms spent) does not allow the rest of the examination (about ${Math.round(first.ms * REST_IN_FIRST_LOOKS)} ms): concluding from the first look, ${p2(firstPAi)} with triage's reading.`;
    trace.add(ReasoningStage.REFLECTION, `${why} No second look.`);
    throwIfAborted(signal, "the conclusion");
    return conclude(
      {
        kind: "pAi",
        pAi: firstPAi,
        thresholds: calibration.thresholds,
        how: `over ${plural(first.positions.length, "crop")} of the first look${calibration.version ? ", calibrated with triage's reading" : ""}`,
        crops: first.positions.length,
        positions: first.positions.length,
        minPositions,
        views: 1,
        reflected: false,
        stoppedAfter: settled ? "first-look" : "time-budget",
        findings: { consistency: first.consistency, viewGap: null, noise: null },
        readings: { triage: triageLogOdds, firstLook: first.logOdds, firstLookMs: first.ms },
      },
      concluding,
    );
  }

  const analytic = await runAnalytic(exam, first);
  throwIfAborted(signal, "reflection");
  const reasons = reasonsToReflect(detection.verdict.pAi, analytic);
  const secondLookWanted = !depth.adaptive || reasons.length > 0;
  const timeForSecondLook =
    options.budgetMs === undefined || performance.now() - started + first.ms * 1.5 <= options.budgetMs;
  let reflection = null;
  if (secondLookWanted && timeForSecondLook) reflection = await reflect(exam, analytic, reasons);
  else if (secondLookWanted) {
    trace.add(
      ReasoningStage.REFLECTION,
      `The stages ${reasons.length > 0 ? `disagree (${reasons.map((r) => r.text).join("; ")})` : "agree"}, but the time budget (${Math.round(options.budgetMs!)} ms) leaves no time for a second look: the analysis stands as it is, ${p2(analytic.pAi)}.`,
    );
  } else holdWithoutSecondLook(exam, analytic);
  throwIfAborted(signal, "the conclusion");
  const analyticCrops = analytic.views.reduce((n, v) => n + v.logits.length, 0);
  const crops = analyticCrops + (reflection?.crops ?? 0);
  const views = analytic.views.length + (reflection?.views ?? 0);
  const examinationLogOdds = reflection?.logOdds ?? analytic.logOdds;
  let pAi = withWeakProvenance(calibration.examination(examinationLogOdds, triageLogOdds));
  const { thresholds } = calibration;
  const realAt = policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
  // A confirmed AI-like region rules out REAL, nothing more: pAi rises only to the edge of
  // LIKELY_REAL, so the rest of the reading still says which way the pixels lean.
  const floor = realAt + REAL_EDGE;
  const ruledOutReal = reflection?.ruleOutReal === true && pAi < floor;
  if (ruledOutReal) pAi = floor;
  return conclude(
    {
      kind: "pAi",
      pAi,
      thresholds,
      how: `over ${plural(crops, "crop")} in ${plural(views, "view")}${calibration.version ? ", calibrated with triage's reading" : ""}${ruledOutReal ? `, kept at ≥ ${p2(floor)} because a confirmed AI-like region rules out REAL` : ""}`,
      crops,
      positions: first.positions.length,
      minPositions,
      views,
      reflected: reflection !== null,
      stoppedAfter: reflection ? "second-look" : "analysis",
      findings: { consistency: analytic.consistency, viewGap: analytic.viewGap, noise: analytic.noise },
      readings: {
        triage: triageLogOdds,
        firstLook: first.logOdds,
        examination: examinationLogOdds,
        firstLookMs: first.ms,
      },
    },
    concluding,
  );
}

// The calibrated pAi moved by triage's weak provenance (camera EXIF…), as triage moves its own.
function sigmoidShift(p: number, shift: number): number {
  return shift === 0 ? p : sigmoid(logOdds(p) + shift);
}

/**
 * The log-odds triage's weak provenance added to the pixel pAi, read back from the detection
 * (fused pAi against pixel pAi) so that the fusion rule lives in one place, @mirage/detector.
 */
function weakShift(detection: Detection): number {
  if (!detection.pixel) return 0;
  return logOdds(detection.verdict.pAi) - logOdds(detection.pixel.pAi);
}
