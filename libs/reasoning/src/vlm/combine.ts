import { clone, create } from "@bufbuild/protobuf";
import {
  DecidedBy,
  EvidenceSchema,
  Label,
  ModelVersionsSchema,
  ReasoningSchema,
  TimingsSchema,
  VerdictSchema,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import { bandOf, labelOf, type ModelCard, type Policy } from "@mirage/detector";
import type { MirageError } from "@mirage/errors";
import type { VlmConclusion } from "./answer.js";

/** The card thresholds a pAi is read against. */
export type Thresholds = ModelCard["thresholds"];

// pAi is kept off 0 and 1 so that its log-odds are finite.
const EPSILON = 1e-6;

function logit(p: number): number {
  const q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  return Math.log(q / (1 - q));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * How far the VLM's judgement moves the forensic log-odds: +weight·confidence for "ai",
 * −weight·confidence for "real", 0 for "uncertain". Never more than `weight` either way: the VLM is
 * not calibrated, and its answer can be steered by what the image or its metadata says.
 */
export function logOddsShift(
  conclusion: Pick<VlmConclusion, "label" | "confidence">,
  weight: number,
): number {
  const sign = conclusion.label === "ai" ? 1 : conclusion.label === "real" ? -1 : 0;
  return sign * weight * conclusion.confidence;
}

/** The label a pAi reads as under the thresholds and policy, as the forensic conclusion reads it. */
export function labelAt(pAi: number, thresholds: Thresholds, policy: Policy): Label {
  return labelOf(bandOf(pAi, thresholds, policy));
}

/** "AI at ≥ 0.80, real at ≤ 0.20 under the default policy". */
export function thresholdsText(thresholds: Thresholds, policy: Policy): string {
  const real = policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
  return `AI at ≥ ${thresholds.likelyAi.toFixed(2)}, real at ≤ ${real.toFixed(2)} under the ${policy} policy`;
}

/** The contract name of a label. */
export function labelName(label: Label): string {
  return label === Label.AI_GENERATED ? "AI_GENERATED" : label === Label.REAL ? "REAL" : "NEEDS_REVIEW";
}

/** What the VLM's judgement does to the forensic verdict. */
export interface Moved {
  shift: number;
  pAi: number;
  label: Label;
  /** The label the moved pAi reads as, when the fail-closed rule kept it from being published. */
  withheld: Label | null;
}

/**
 * Moves the forensic pAi by the judgement and reads the label. Fail closed: a VLM never turns a
 * verdict the forensic examination did not call REAL into REAL (it stays NEEDS_REVIEW): an
 * uncalibrated model, shown strings an uploader controls, must not publish an uncertain case as real.
 */
export function move(
  forensic: { pAi: number; label: Label },
  conclusion: Pick<VlmConclusion, "label" | "confidence">,
  weight: number,
  thresholds: Thresholds,
  policy: Policy,
): Moved {
  const shift = logOddsShift(conclusion, weight);
  const pAi = shift === 0 ? forensic.pAi : sigmoid(logit(forensic.pAi) + shift);
  const read = labelAt(pAi, thresholds, policy);
  if (read === Label.REAL && forensic.label !== Label.REAL) {
    return { shift, pAi, label: Label.NEEDS_REVIEW, withheld: Label.REAL };
  }
  return { shift, pAi, label: read, withheld: null };
}

/** What both verdicts below are built from. */
export interface VerdictParts {
  /** The forensic verdict (its trace included), untouched. */
  forensic: Verdict;
  /** Every step streamed, in order, the final CONCLUSION step last. */
  steps: ReasoningStep[];
  /** performance.now() when the analysis began (forensic included). */
  started: number;
}

/** The VLM's judgement applied: decided by REASONING, the `vlm` evidence added, versions and timings. */
export function judgedVerdict(
  parts: VerdictParts,
  judgement: { model: string; version: string; conclusion: VlmConclusion; moved: Moved; weight: number },
): Verdict {
  const { conclusion, moved } = judgement;
  const verdict = withParts(parts);
  verdict.label = moved.label;
  verdict.pAi = moved.pAi;
  verdict.decidedBy = DecidedBy.REASONING;
  verdict.evidence.push(
    create(EvidenceSchema, {
      kind: "vlm",
      summary: `${judgement.model}: ${conclusion.label} at confidence ${conclusion.confidence.toFixed(2)}: ${conclusion.explanation}`,
      // tanh(shift/2) = 2σ(shift) − 1: the move on the scale of the forensic `reasoning`
      // evidence (2·pAi − 1, a move from 0.5); never ±1, which would read as decisive.
      weight: Math.tanh(moved.shift / 2),
      details: {
        status: "ok",
        model: judgement.model,
        label: conclusion.label,
        confidence: conclusion.confidence.toFixed(4),
        weight: String(judgement.weight),
        logOddsShift: moved.shift.toFixed(4),
        forensicPAi: parts.forensic.pAi.toFixed(4),
        pAi: moved.pAi.toFixed(4),
        ...(moved.withheld !== null ? { withheld: labelName(moved.withheld) } : {}),
        ...(conclusion.decisive_evidence.length > 0
          ? { decisiveEvidence: conclusion.decisive_evidence.join("; ") }
          : {}),
      },
    }),
  );
  verdict.modelVersions!.reasoning = judgement.version;
  return verdict;
}

/** The VLM failed: the forensic verdict stands, with a `vlm` evidence that says why. */
export function fallbackVerdict(
  parts: VerdictParts,
  failure: { model: string; error: MirageError },
): Verdict {
  const verdict = withParts(parts);
  verdict.evidence.push(
    create(EvidenceSchema, {
      kind: "vlm",
      summary: `${failure.model} gave no usable answer (${failure.error.reason}): the forensic conclusion stands.`,
      weight: 0,
      details: { status: "failed", reason: failure.error.reason, model: failure.model },
    }),
  );
  return verdict;
}

// The forensic verdict with the streamed trace and the time the whole analysis took.
function withParts(parts: VerdictParts): Verdict {
  const verdict = clone(VerdictSchema, parts.forensic);
  verdict.reasoning = create(ReasoningSchema, { mode: verdict.reasoning?.mode, steps: [...parts.steps] });
  const reasoningMs = performance.now() - parts.started;
  const triageMs = verdict.timings?.triageMs ?? 0;
  verdict.timings = create(TimingsSchema, { triageMs, reasoningMs, totalMs: triageMs + reasoningMs });
  verdict.modelVersions ??= create(ModelVersionsSchema);
  return verdict;
}
