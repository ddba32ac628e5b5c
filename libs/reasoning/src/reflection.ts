import { ReasoningStage } from "@mirage/contracts";
import { sigmoid } from "@mirage/detector";
import { throwIfAborted } from "./abort.js";
import { TTA_GAP, type Analytic } from "./analytic.js";
import type { Examination } from "./examination.js";
import { shiftedGrid } from "./grid.js";
import { logOdds } from "./stats.js";
import { p2, plural } from "./text.js";
import { reencodeJpeg, scoreViews, texturedPositions, viewDescriptions, type ViewSpec } from "./views.js";

/** First impression and analysis this far apart, on opposite sides of 0.5, disagree. */
const SIDES_MIN_GAP = 0.1;
/** When views disagree the model is unstable on this image: its log-odds count half. */
const UNSTABLE_SHRINK = 0.5;
/** JPEG quality of the fallback second look, for images too small to shift a grid on. */
const SECOND_QUALITY = 75;
/** A reflection crop at or above this calibrated pAi confirms a locally AI-like region. */
const CONFIRM_P = 0.75;

/** One disagreement between stages, and the sentence that records it. */
export interface Reason {
  kind: "sides" | "crops" | "views";
  text: string;
}

/** Why the stages disagree; empty when everything agrees (reflection is skipped). */
export function reasonsToReflect(firstPAi: number, analytic: Analytic): Reason[] {
  const reasons: Reason[] = [];
  const gap = Math.abs(firstPAi - analytic.pAi);
  if ((firstPAi - 0.5) * (analytic.pAi - 0.5) < 0 && gap >= SIDES_MIN_GAP) {
    reasons.push({
      kind: "sides",
      text: `the first impression (${p2(firstPAi)}) and the analysis (${p2(analytic.pAi)}) fall on opposite sides of 0.5`,
    });
  }
  if (analytic.consistency.disagree) {
    const c = analytic.consistency;
    reasons.push({
      kind: "crops",
      text: `the crops disagree (${c.mostAi.region} ${p2(c.mostAi.pAi)} against ${c.mostReal.region} ${p2(c.mostReal.pAi)}, spread ${c.spread.toFixed(1)} log-odds)`,
    });
  }
  if (analytic.viewGap >= TTA_GAP) {
    const sorted = [...analytic.views].sort((a, b) => a.pAi - b.pAi);
    const lo = sorted[0]!;
    const hi = sorted[sorted.length - 1]!;
    reasons.push({
      kind: "views",
      text: `the views disagree (${viewDescriptions[lo.name]} ${p2(lo.pAi)} against ${viewDescriptions[hi.name]} ${p2(hi.pAi)})`,
    });
  }
  return reasons;
}

/** What reflection settled on. */
export interface Reflection {
  /** The examination's log-odds after reflection (before the reasoning card's calibration). */
  logOdds: number;
  /** A part of the image looks generated and the second look confirmed it: no REAL conclusion. */
  ruleOutReal: boolean;
  /** Crops scored in reflection. */
  crops: number;
  views: number;
}

/**
 * Looks again differently — a grid shifted half a crop (straddling the seams of the first grid),
 * mirrored too (its textured crops); or, on an image too small to shift or whose shifted crops are
 * all flat, a harder JPEG re-encode — then weighs:
 * every crop of every view pooled (more data than either stage alone); the model's log-odds
 * halved when benign views disagreed (an unstable reading is not a confident one); and, when a
 * part of the image looks generated and the second look confirms it there, no REAL conclusion
 * (the conclusion keeps pAi at least midway between the real and AI thresholds): moderation fails
 * closed. With no `reasons` (deep mode reflects on every case) the second look checks that the
 * reading holds on crops the first grid never saw.
 */
export async function reflect(exam: Examination, analytic: Analytic, reasons: Reason[]): Promise<Reflection> {
  const { model, image, signal, trace } = exam;
  const shifted = texturedPositions(model, image, shiftedGrid(analytic.grid, exam.budget.reflectionCrops));
  throwIfAborted(signal, "reflection");
  const specs: ViewSpec[] =
    shifted.length > 0
      ? [
          { name: "shifted", image, positions: shifted, mirror: false },
          { name: "shifted-mirrored", image, positions: shifted, mirror: true },
        ]
      : [
          {
            name: "jpeg75",
            image: await reencodeJpeg(image, SECOND_QUALITY),
            positions: analytic.positions,
            mirror: false,
          },
        ];
  const views = await scoreViews(model, specs, signal);
  const crops = views.reduce((n, v) => n + v.logits.length, 0);
  const all = [...analytic.views, ...views];
  const pooled = all.flatMap((v) => v.logits);
  const pooledPixel = model.calibrate(model.aggregate(pooled));

  const weighed = [
    `pooled over all ${plural(pooled.length, "crop")} of ${all.length} views the pixels read ${p2(pooledPixel)}`,
  ];
  let scale = analytic.noise.shrink;
  if (reasons.some((r) => r.kind === "views")) {
    scale *= UNSTABLE_SHRINK;
    weighed.push(
      `the model's reading moves under benign changes, so its log-odds count × ${UNSTABLE_SHRINK}`,
    );
  }
  const reflectedLogOdds = scale * logOdds(pooledPixel);
  const pAi = sigmoid(reflectedLogOdds + exam.weakShift);
  const confirmed = views.some((v) => v.logits.some((l) => model.calibrateCrop(l) >= CONFIRM_P));
  let ruleOutReal = false;
  if (analytic.consistency.mixed) {
    if (confirmed) {
      ruleOutReal = true;
      weighed.push(
        `the second look confirms AI-like pixels (strongest before: ${analytic.consistency.mostAi.region}), so a REAL conclusion is ruled out`,
      );
    } else {
      weighed.push("the second look does not confirm the AI-like region: it was local noise");
    }
  }
  if (reasons.some((r) => r.kind === "sides")) {
    weighed.push(
      `the examination's ${analytic.views.length + views.length} views outweigh triage's few crops`,
    );
  }
  const why =
    reasons.length > 0
      ? `Reconsidered because ${reasons.map((r) => r.text).join("; and ")}.`
      : `The stages agree (first impression ${p2(exam.detection.verdict.pAi)}, analysis ${p2(analytic.pAi)}; ${agreement(analytic)}); deep mode looks again anyway.`;
  const moved = Math.abs(pAi - analytic.pAi) >= 0.05;
  trace.add(
    ReasoningStage.REFLECTION,
    `${why} Looked again at ${plural(crops, "crop")} of ${views.map((v) => `${viewDescriptions[v.name]} (${p2(v.pAi)})`).join(" and ")}. ` +
      `Weighed: ${weighed.join("; ")}. ${moved ? "The reading moved" : "The reading holds"}: ${p2(analytic.pAi)} → ${p2(pAi)}.`,
  );
  return { logOdds: reflectedLogOdds, ruleOutReal, crops, views: views.length };
}

/**
 * The REFLECTION step when the stages agree and the mode does not ask for a second look: the
 * agreement itself, with its numbers, is what holds the reading.
 */
export function holdWithoutSecondLook(exam: Examination, analytic: Analytic): void {
  exam.trace.add(
    ReasoningStage.REFLECTION,
    `Nothing to reconsider: the first impression (${p2(exam.detection.verdict.pAi)}) and the analysis (${p2(analytic.pAi)}) agree, ${agreement(analytic)}. The reading holds without a second look.`,
  );
}

function agreement(analytic: Analytic): string {
  const c = analytic.consistency;
  return `the crops tell one story (spread ${c.spread.toFixed(1)} log-odds, most AI-like ${c.mostAi.region} ${p2(c.mostAi.pAi)}, most real-like ${c.mostReal.region} ${p2(c.mostReal.pAi)}), the views agree (gap ${p2(analytic.viewGap)})`;
}
