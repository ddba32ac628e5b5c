import { create } from "@bufbuild/protobuf";
import {
  Band,
  DecidedBy,
  EvidenceSchema,
  Label,
  ReasoningMode,
  ReasoningStage,
  VerdictSchema,
  type Verdict,
} from "@mirage/contracts";
import { bandOf, labelOf, type Detection, type ModelCard, type Policy } from "@mirage/detector";
import type { Consistency } from "./consistency.js";
import { explain } from "./explanation.js";
import type { NoiseFindings } from "./noise-findings.js";
import type { Trace } from "./trace.js";
import { bandName, clause, p2, plural, thresholdsText } from "./text.js";

/** Where an examination stopped: the depth it actually spent. */
export type StoppedAfter = "first-impression" | "first-look" | "time-budget" | "analysis" | "second-look";

/** The analytic findings an explanation may cite (null before the analytic stage). */
export interface Findings {
  consistency: Consistency;
  /** Largest gap between views' pAi; null when only one view was scored. */
  viewGap: number | null;
  noise: NoiseFindings | null;
}

/** What the conclusion stands on. */
export type Basis =
  /** Decisive provenance in the detection: AI_GENERATED, decided by provenance. */
  | { kind: "decisive" }
  /** The pixels could not be judged (why: no decoded image, no pixel model): NEEDS_REVIEW. */
  | { kind: "unexaminable"; why: string }
  /** A pAi read against the card's thresholds; `how` says where it came from. */
  | {
      kind: "pAi";
      pAi: number;
      thresholds: ModelCard["thresholds"];
      how: string;
      crops: number;
      /** Distinct textured crop positions the reading stands on: fewer than minPositions settle no band. */
      positions: number;
      /** The triage card's `crops.minTexturedForBand`. */
      minPositions: number;
      views: number;
      reflected: boolean;
      stoppedAfter: StoppedAfter;
      findings: Findings | null;
      /** The log-odds the calibration read (pixel model's calibration), kept in the evidence for audits and fitting. */
      readings?: { triage: number; firstLook: number; examination?: number; firstLookMs: number };
    };

/** Everything {@link conclude} needs besides the basis. */
export interface ConclusionInput {
  detection: Detection;
  policy: Policy;
  depth: "quick" | "deep";
  trace: Trace;
  /** The reasoner's version, named in modelVersions.reasoning. */
  version: string;
  /** performance.now() when the examination began. */
  started: number;
}

/**
 * The CONCLUSION step and the verdict: the label from the final pAi read against the card with the
 * request's policy (LIKELY_AI → AI_GENERATED, LIKELY_REAL → REAL, else NEEDS_REVIEW), decided by
 * REASONING (by PROVENANCE when provenance was decisive); triage evidence kept, reasoning evidence
 * added; band stays the triage band.
 */
export function conclude(basis: Basis, input: ConclusionInput): Verdict {
  const { detection, policy, trace } = input;
  let label: Label;
  let pAi: number;
  let decidedBy = DecidedBy.REASONING;
  let text: string;
  let summary: string;
  const details: Record<string, string> = { mode: input.depth };
  switch (basis.kind) {
    case "decisive":
      label = Label.AI_GENERATED;
      pAi = detection.verdict.pAi;
      decidedBy = DecidedBy.PROVENANCE;
      text = `Decisive provenance stands (${decisiveFindings(detection)}): AI_GENERATED, pAi ${p2(pAi)}.`;
      summary = `reasoning confirms the decisive provenance: AI-generated (${p2(pAi)}).`;
      break;
    case "unexaminable":
      label = Label.NEEDS_REVIEW;
      pAi = 0.5;
      text = `${basis.why}, so the pixels cannot be judged and nothing else decides: NEEDS_REVIEW rather than a guess.`;
      summary = `reasoning could not judge the pixels (${basis.why.charAt(0).toLowerCase()}${basis.why.slice(1)}): needs review.`;
      break;
    case "pAi": {
      pAi = basis.pAi;
      // As in triage's fusion: a reading of too little of the image settles no band.
      const tooFew = basis.positions < basis.minPositions;
      const band = tooFew ? Band.UNCERTAIN : bandOf(pAi, basis.thresholds, policy);
      label = labelOf(band);
      text = tooFew
        ? `pAi ${p2(pAi)} ${basis.how}, but only ${plural(basis.positions, "textured crop")} of the image (fewer than ${basis.minPositions}): too little to decide from its pixels, so ${bandName(band)} → ${labelName(label)}.`
        : `pAi ${p2(pAi)} ${basis.how}, read against the thresholds (${thresholdsText(basis.thresholds, policy)}): ${bandName(band)} → ${labelName(label)}. ${explain(label, pAi, basis.findings, detection)}`;
      summary = `${input.depth} reasoning: pAi ${p2(pAi)} ${basis.how}${basis.reflected ? ", after reflection" : ""}${tooFew ? `, too few textured crops to decide (${basis.positions})` : ""}: ${labelSentence(label)}.`;
      Object.assign(details, {
        pAi: pAi.toFixed(4),
        crops: String(basis.crops),
        views: String(basis.views),
        reflected: String(basis.reflected),
        stoppedAfter: basis.stoppedAfter,
      });
      if (basis.readings) {
        const r = basis.readings;
        details.triageLogOdds = r.triage.toFixed(4);
        details.firstLookLogOdds = r.firstLook.toFixed(4);
        if (r.examination !== undefined) details.examinationLogOdds = r.examination.toFixed(4);
        details.firstLookMs = r.firstLookMs.toFixed(1);
      }
      break;
    }
  }
  trace.add(ReasoningStage.CONCLUSION, text);
  const reasoningMs = performance.now() - input.started;
  const triageMs = detection.verdict.timings?.triageMs ?? detection.timings.totalMs;
  return create(VerdictSchema, {
    eventId: detection.verdict.eventId,
    imageId: detection.verdict.imageId,
    traceId: detection.verdict.traceId,
    label,
    pAi,
    decidedBy,
    band: detection.band,
    evidence: [
      ...detection.verdict.evidence,
      create(EvidenceSchema, { kind: "reasoning", summary, weight: 2 * pAi - 1, details }),
    ],
    reasoning: {
      mode: input.depth === "deep" ? ReasoningMode.DEEP : ReasoningMode.QUICK,
      steps: [...trace.steps],
    },
    modelVersions: { triage: detection.verdict.modelVersions?.triage ?? "", reasoning: input.version },
    timings: { triageMs, reasoningMs, totalMs: triageMs + reasoningMs },
  });
}

function decisiveFindings(detection: Detection): string {
  const decisive = detection.provenance.evidence.filter((e) => e.decisive).map((e) => clause(e.summary));
  return decisive.length > 0 ? decisive.join("; ") : "triage decided by provenance";
}

function labelName(label: Label): string {
  return label === Label.AI_GENERATED ? "AI_GENERATED" : label === Label.REAL ? "REAL" : "NEEDS_REVIEW";
}

function labelSentence(label: Label): string {
  return label === Label.AI_GENERATED ? "AI-generated" : label === Label.REAL ? "real" : "needs review";
}
