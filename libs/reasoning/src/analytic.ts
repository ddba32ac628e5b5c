import { ReasoningStage } from "@mirage/contracts";
import { sigmoid } from "@mirage/detector";
import { cropGrid } from "@mirage/imaging";
import { throwIfAborted } from "./abort.js";
import { readConsistency, type Consistency } from "./consistency.js";
import type { Examination } from "./examination.js";
import type { FirstLook } from "./first-look.js";
import type { Grid, Position } from "./grid.js";
import { readJpegHistory, type JpegHistory } from "./jpeg-history.js";
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
  /** The pixel model's calibration applied to every crop of every view, aggregated as the card says. */
  pixelPAi: number;
  consistency: Consistency;
  noise: NoiseFindings;
  jpegHistory: JpegHistory;
  metadata: MetadataConsistency;
  /** The examination's log-odds: pixel log-odds × noise shrink (before the reasoning card's calibration). */
  logOdds: number;
  /** sigmoid(logOdds + triage's weak-provenance shift): the analysis as comparable with the first impression. */
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
 * The rest of the analytic stage after the first look: the same crops under test-time
 * augmentation, local consistency over every view, noise and spectrum, and metadata consistency —
 * each recorded as its own step.
 */
export async function runAnalytic(exam: Examination, first: FirstLook): Promise<Analytic> {
  const { model, image, trace, signal } = exam;
  const size = model.card.input.cropSize;
  const { grid, positions } = first;
  throwIfAborted(signal, "re-encoding the image");
  const reencoded = await reencodeJpeg(image, REENCODE_QUALITY);
  const augmented = await scoreViews(
    model,
    [
      { name: "mirrored", image, positions, mirror: true },
      { name: "jpeg90", image: reencoded, positions, mirror: false },
    ],
    signal,
  );
  const views = [first.view, ...augmented];
  const pixelPAi = model.calibrate(model.aggregate(views.flatMap((v) => v.logits)));
  const viewGap = Math.max(...views.map((v) => v.pAi)) - Math.min(...views.map((v) => v.pAi));
  trace.add(
    ReasoningStage.ANALYTIC,
    `Test-time augmentation: the same ${plural(positions.length, "crop")} in ${views.length} views, ${plural(views.length * positions.length, "model call")}: ` +
      `${views.map((v) => `${viewDescriptions[v.name]} ${p2(v.pAi)}`).join(", ")}; ` +
      `calibrated over all crops: ${p2(pixelPAi)}; the views ${viewGap >= TTA_GAP ? `disagree (gap ${p2(viewGap)})` : `agree (gap ${p2(viewGap)})`}.`,
  );

  throwIfAborted(signal, "the consistency analysis");
  const perPosition = positions.map((_, i) => model.calibrateCrop(mean(views.map((v) => v.logits[i]!))));
  const consistency = readConsistency(positions, perPosition, size, image);
  trace.add(ReasoningStage.ANALYTIC, consistency.text);

  throwIfAborted(signal, "the noise analysis");
  const patch = patchSize(image.width, image.height);
  const patches = patch === 0 ? [] : analyzePatches(image, noiseCentres(image, patch, size, consistency));
  const noise = readNoise(patches, patch === 0);
  trace.add(ReasoningStage.ANALYTIC, noise.text);

  throwIfAborted(signal, "the JPEG history");
  const provenance = provenanceEvidence(exam.detection.verdict.evidence);
  const jpegHistory = await readJpegHistory(exam.bytes, image);
  trace.add(ReasoningStage.ANALYTIC, jpegHistory.text);

  const metadata = readMetadata(provenance, pixelPAi, model.card.thresholds);
  const examLogOdds = noise.shrink * logOdds(pixelPAi);
  const pAi = sigmoid(examLogOdds + exam.weakShift);
  const adjustments = [
    noise.shrink < 1 ? `pixel log-odds × ${noise.shrink.toFixed(2)} for what the noise showed` : "",
    Math.abs(exam.weakShift) > 1e-3
      ? `${exam.weakShift > 0 ? "+" : "−"}${Math.abs(exam.weakShift).toFixed(2)} log-odds of weak provenance, as in triage`
      : "",
  ].filter(Boolean);
  trace.add(
    ReasoningStage.ANALYTIC,
    `${metadata.text} The analysis reads ${p2(pAi)}${adjustments.length > 0 ? ` (${adjustments.join("; ")})` : ""}.`,
  );
  return {
    grid,
    positions,
    views,
    pixelPAi,
    consistency,
    noise,
    jpegHistory,
    metadata,
    logOdds: examLogOdds,
    pAi,
    viewGap,
  };
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
