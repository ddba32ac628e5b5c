import { ReasoningStage } from "@mirage/contracts";
import { sigmoid } from "@mirage/detector";
import { cropGrid } from "@mirage/imaging";
import { throwIfAborted } from "./abort.js";
import { readConsistency, type Consistency } from "./consistency.js";
import type { Examination } from "./examination.js";
import { denseGrid, positionsOf, type Grid, type Position } from "./grid.js";
import { readMetadata, type MetadataConsistency } from "./metadata.js";
import { analyzePatches, patchSize } from "./noise.js";
import { readNoise, type NoiseFindings } from "./noise-findings.js";
import { logOdds, mean } from "./stats.js";
import { p2, plural, provenanceEvidence } from "./text.js";
import { reencodeJpeg, scoreViews, viewDescriptions, type ViewScore } from "./views.js";

/** What the analytic stage found. */
export interface Analytic {
  grid: Grid;
  positions: Position[];
  views: ViewScore[];
  /** The card's calibration applied to the mean logit over every crop of every view. */
  pixelPAi: number;
  consistency: Consistency;
  noise: NoiseFindings;
  metadata: MetadataConsistency;
  /** The analytic stage's pAi: pixel log-odds × noise shrink + triage's weak-provenance shift. */
  pAi: number;
  /** Largest difference between two views' pAi (test-time augmentation agreement). */
  viewGap: number;
}

/** Patches spread over the image for the noise analysis (plus the most AI-like and most real-like crop). */
const SPREAD_PATCHES = 4;
/** JPEG quality of the re-encoded view: what a careful re-upload does; a generator's traces should survive it. */
const REENCODE_QUALITY = 90;
/** Views whose pAi differ by this much disagree: benign changes should not move a sound reading. */
export const TTA_GAP = 0.15;

/**
 * The analytic stage: many crops at native resolution under test-time augmentation, local
 * consistency, noise and spectrum, and metadata consistency — each recorded as its own step.
 */
export async function runAnalytic(exam: Examination): Promise<Analytic> {
  const { model, image, trace, signal } = exam;
  const size = model.card.input.cropSize;
  const grid = denseGrid(image.width, image.height, size, exam.budget.denseCrops);
  const positions = positionsOf(grid);
  throwIfAborted(signal, "re-encoding the image");
  const reencoded = await reencodeJpeg(image, REENCODE_QUALITY);
  const views = await scoreViews(
    model,
    [
      { name: "original", image, positions, mirror: false },
      { name: "mirrored", image, positions, mirror: true },
      { name: "jpeg90", image: reencoded, positions, mirror: false },
    ],
    signal,
  );
  const pixelPAi = model.calibrate(mean(views.flatMap((v) => v.logits)));
  const viewGap = Math.max(...views.map((v) => v.pAi)) - Math.min(...views.map((v) => v.pAi));
  trace.add(
    ReasoningStage.ANALYTIC,
    `Scored ${plural(positions.length, "crop")} of ${size} px at native resolution (grid ${grid.xs.length} × ${grid.ys.length}) in ${views.length} views, ${plural(views.length * positions.length, "model call")}: ` +
      `${views.map((v) => `${viewDescriptions[v.name]} ${p2(v.pAi)}`).join(", ")}; ` +
      `calibrated over all crops: ${p2(pixelPAi)}; the views ${viewGap >= TTA_GAP ? `disagree (gap ${p2(viewGap)})` : `agree (gap ${p2(viewGap)})`}.`,
  );

  throwIfAborted(signal, "the consistency analysis");
  const perPosition = positions.map((_, i) => model.calibrate(mean(views.map((v) => v.logits[i]!))));
  const consistency = readConsistency(positions, perPosition, size, image);
  trace.add(ReasoningStage.ANALYTIC, consistency.text);

  throwIfAborted(signal, "the noise analysis");
  const patch = patchSize(image.width, image.height);
  const patches = patch === 0 ? [] : analyzePatches(image, noiseCentres(image, patch, size, consistency));
  const noise = readNoise(patches, patch === 0);
  trace.add(ReasoningStage.ANALYTIC, noise.text);

  const metadata = readMetadata(
    provenanceEvidence(exam.detection.verdict.evidence),
    pixelPAi,
    model.card.thresholds,
  );
  const pAi = sigmoid(noise.shrink * logOdds(pixelPAi) + exam.weakShift);
  const adjustments = [
    noise.shrink < 1 ? `pixel log-odds × ${noise.shrink.toFixed(2)} for what the noise showed` : "",
    Math.abs(exam.weakShift) > 1e-3
      ? `${exam.weakShift > 0 ? "+" : "−"}${Math.abs(exam.weakShift).toFixed(2)} log-odds of weak provenance, as in triage`
      : "",
  ].filter(Boolean);
  trace.add(
    ReasoningStage.ANALYTIC,
    `${metadata.text} Analytic pAi ${p2(pAi)}${adjustments.length > 0 ? ` (${adjustments.join("; ")})` : ""}.`,
  );
  return { grid, positions, views, pixelPAi, consistency, noise, metadata, pAi, viewGap };
}

// Where the noise analysis looks: patches spread over the image, and the most AI-like and most
// real-like crops, where a difference in noise would matter most.
function noiseCentres(
  image: { width: number; height: number },
  patch: number,
  cropSize: number,
  consistency: Consistency,
): Position[] {
  const spread = cropGrid(image.width, image.height, patch, SPREAD_PATCHES).map((p) => ({
    x: p.x + patch / 2,
    y: p.y + patch / 2,
  }));
  const centre = (p: Position) => ({ x: p.x + cropSize / 2, y: p.y + cropSize / 2 });
  return [...spread, centre(consistency.mostAi.position), centre(consistency.mostReal.position)];
}
