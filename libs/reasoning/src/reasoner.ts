import type { Verdict, ReasoningStep } from "@mirage/contracts";
import type { Detection, Detector, Policy } from "@mirage/detector";
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
}

/** The reasoning engine. */
export interface Reasoner {
  /** Version named in verdicts' modelVersions.reasoning ("forensic-v1"). */
  readonly version: string;
  /** Examines an image; the verdict has decidedBy REASONING, a reasoning trace, pAi and label. */
  analyze(input: AnalyzeInput, options?: AnalyzeOptions): Promise<Verdict>;
}

/** The built-in forensic backend's version, named in verdicts. */
const FORENSIC_VERSION = "forensic-v1";

/**
 * Creates the built-in forensic reasoner (no GPU needed): it re-reads the image with the
 * detector's pixel model over many more crops and views than triage, looks at the noise residual,
 * weighs metadata, and reflects when its stages disagree.
 */
export function createReasoner(options: ReasonerOptions): Reasoner {
  const model = options.detector.pixelModel;
  const budget = { ...defaultExaminationBudget, ...options.budget };
  return {
    version: FORENSIC_VERSION,
    analyze: (input, analyzeOptions = {}) => examine(model, input, analyzeOptions, FORENSIC_VERSION, budget),
  };
}
