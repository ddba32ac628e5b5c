import { Band } from "@mirage/contracts";
import { bandOf, type ModelCard, type Policy } from "@mirage/detector";
import type { ReasoningModeName } from "./reasoner.js";
import { logOdds } from "./stats.js";
import { p2 } from "./text.js";

/** How deep one examination goes, and the sentence that says why. */
export interface Depth {
  depth: "quick" | "deep";
  /**
   * Adaptive thinking inside the examination: stop after the first look when it settles the case,
   * and look a second time only when the stages disagree. False in deep mode: every stage, always.
   */
  adaptive: boolean;
  why: string;
}

/**
 * "Far from the thresholds": a triage pAi at least this many log-odds past the threshold of its
 * band (0.5 ≈ odds × 1.65; at likelyAi 0.80 that means pAi ≥ 0.87). Just past a threshold is
 * still a hard case.
 */
const EASY_MARGIN_LOG_ODDS = 0.5;

/** What {@link chooseDepth} reads of the case. */
export interface DepthInput {
  mode: ReasoningModeName;
  decisive: boolean;
  /** False when there is no decoded image or no pixel model: nothing deeper to look at. */
  canExamine: boolean;
  triagePAi: number;
  thresholds: ModelCard["thresholds"] | undefined;
  policy: Policy;
}

/**
 * quick → quick, deep → deep; adaptive → quick when the case is easy (decisive provenance, or a
 * triage pAi far past a threshold), else deep. Decisive provenance is always answered quickly: no
 * pixel evidence can overturn a generator's own claim, so looking longer would cost and not change.
 */
export function chooseDepth(input: DepthInput): Depth {
  if (input.decisive) {
    return {
      depth: "quick",
      adaptive: false,
      why: "Decisive provenance settles the case; no pixel evidence can overturn it, so the answer is quick.",
    };
  }
  if (input.mode === "quick")
    return { depth: "quick", adaptive: false, why: "Quick mode: answering from the first impression." };
  if (input.mode === "deep")
    return { depth: "deep", adaptive: false, why: "Deep mode: running every stage, with a second look." };
  if (!input.canExamine || !input.thresholds) {
    return {
      depth: "quick",
      adaptive: true,
      why: "Adaptive: there is nothing deeper to look at, so the answer is quick.",
    };
  }
  const { thresholds, triagePAi: pAi } = input;
  const band = bandOf(pAi, thresholds, input.policy);
  const realAt = input.policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
  if (band === Band.LIKELY_AI && logOdds(pAi) - logOdds(thresholds.likelyAi) >= EASY_MARGIN_LOG_ODDS) {
    return {
      depth: "quick",
      adaptive: true,
      why: `Adaptive: pAi ${p2(pAi)} is well past the AI threshold ${p2(thresholds.likelyAi)}, an easy case; answering quickly.`,
    };
  }
  if (band === Band.LIKELY_REAL && logOdds(realAt) - logOdds(pAi) >= EASY_MARGIN_LOG_ODDS) {
    return {
      depth: "quick",
      adaptive: true,
      why: `Adaptive: pAi ${p2(pAi)} is well below the real threshold ${p2(realAt)}, an easy case; answering quickly.`,
    };
  }
  const where = band === Band.UNCERTAIN ? "in the uncertain band" : "close to a threshold";
  return {
    depth: "deep",
    adaptive: true,
    why: `Adaptive: pAi ${p2(pAi)} is ${where}, a hard case; examining, as deep as the case needs.`,
  };
}
