import type { Verdict, ReasoningStep } from "@mirage/contracts";
import type { Detection, Detector, ModelCard, Policy } from "@mirage/detector";
import { calibrationFor, reasoningCardFor, type ReasoningCard } from "./calibration.js";
import { examine } from "./examine.js";

/** quick answers from the first impression, deep runs every stage, adaptive goes deep only when hard. */
export type ReasoningModeName = "quick" | "adaptive" | "deep";

/** Options of {@link createReasoner}. */
export interface ReasonerOptions {
  /** The detector whose pixel model (and its card: calibration, thresholds) the examination reuses. */
  detector: Detector;
  /**
   * How many crops a deep examination scores: the dense grid (each also mirrored and re-encoded)
   * and the shifted grid of a reflection. Default 32 and 24; lower them to fit a smaller CPU budget.
   */
  budget?: Partial<ExaminationBudget>;
  /**
   * The reasoning card (models/reasoning/forensic-v11: the examination's calibration, thresholds
   * and adaptive stopping rule, fit on val). Default: the shipped card, used only when it was fit
   * on the detector's own pixel model; null: uncalibrated (the pixel model's card alone), which is
   * how training/scripts/fit-reasoning.ts collects the readings it fits.
   */
  card?: ReasoningCard | null;
}

/** Crops scored by a deep examination. */
export interface ExaminationBudget {
  denseCrops: number;
  reflectionCrops: number;
}

/** The default budget: about 150 crop inferences at most for a deep examination with reflection. */
export const defaultExaminationBudget: ExaminationBudget = { denseCrops: 32, reflectionCrops: 24 };

/** One examination request: the image bytes and the triage detection already made of them. */
export interface AnalyzeInput {
  bytes: Uint8Array;
  /** The triage detection of these bytes (from detector.detect); reasoning starts from it. */
  detection: Detection;
  mode: ReasoningModeName;
  policy: Policy;
}

/** Options of one analysis. */
export interface AnalyzeOptions {
  /** Called with each reasoning step as soon as it is made (AnalyzeStream streams them). */
  onStep?: (step: ReasoningStep) => void;
  signal?: AbortSignal;
  /**
   * Time the examination may take, ms: when the rest would not fit, it concludes with what it
   * has (and says so in the trace) instead of running into the caller's deadline.
   */
  budgetMs?: number;
}

/** The reasoning engine. */
export interface Reasoner {
  /** Version named in verdicts' modelVersions.reasoning ("forensic-v11", or "forensic-uncalibrated"). */
  readonly version: string;
  /**
   * The thresholds its examined verdicts are read against (the reasoning card's, or the pixel
   * model's when uncalibrated); null without a pixel model. Backends that move its pAi read theirs the same way.
   */
  readonly thresholds: ModelCard["thresholds"] | null;
  /** Examines an image; the verdict has decidedBy REASONING, a reasoning trace, pAi and label. */
  analyze(input: AnalyzeInput, options?: AnalyzeOptions): Promise<Verdict>;
}

/** The version named in verdicts when no reasoning card fits the pixel model. */
const UNCALIBRATED_VERSION = "forensic-uncalibrated";

/**
 * Creates the built-in forensic reasoner (no GPU needed): it re-reads the image with the
 * detector's pixel model over many more crops and views than triage, looks at the noise residual,
 * weighs metadata, and reflects when its stages disagree.
 */
export function createReasoner(options: ReasonerOptions): Reasoner {
  const model = options.detector.pixelModel;
  const budget = { ...defaultExaminationBudget, ...options.budget };
  const card =
    options.card === undefined ? reasoningCardFor(process.env.MIRAGE_REASONING_CARD_DIR) : options.card;
  const calibration = model ? calibrationFor(model, card) : null;
  const version = calibration?.version ?? UNCALIBRATED_VERSION;
  return {
    version,
    thresholds: calibration?.thresholds ?? null,
    analyze: (input, analyzeOptions = {}) =>
      examine(input, analyzeOptions, { model, calibration, version, budget }),
  };
}
