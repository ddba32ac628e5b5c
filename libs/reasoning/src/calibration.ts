import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sigmoid, type ModelCard } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import { z } from "zod";
import { logOdds } from "./stats.js";

/** The shipped card of the forensic reasoner's calibration (fit on val by training/scripts/fit-reasoning.ts). */
export const defaultReasoningCardDir = fileURLToPath(
  new URL("../../../models/reasoning/forensic-v11/", import.meta.url),
);

const probability = z.number().min(0).max(1);

/** models/reasoning/<version>/model.json: how the examination's readings become a calibrated pAi. */
export const reasoningCardSchema = z.object({
  name: z.literal("forensic"),
  version: z.string().min(1),
  /** The pixel model whose logits the fit saw; the card applies to that model only. */
  triageModel: z.string().min(1),
  fitOn: z.object({
    manifest: z.string(),
    manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
    split: z.literal("val"),
    protocol: z.string(),
    variants: z.array(z.string()),
    images: z.number().int().positive(),
    evaluations: z.number().int().positive(),
  }),
  /** Logistic regression on [first-look log-odds, triage log-odds]: the reading after the dense grid alone. */
  firstLook: z.object({ weights: z.tuple([z.number(), z.number()]), bias: z.number() }),
  /** Logistic regression on [examination log-odds, triage log-odds]: the reading after every stage. */
  examination: z.object({ weights: z.tuple([z.number(), z.number()]), bias: z.number() }),
  thresholds: z.object({
    likelyAi: probability,
    likelyReal: probability,
    strictLikelyReal: probability,
    chosenOn: z.literal("val"),
    targets: z.record(z.string(), z.number()),
  }),
  /** ADAPTIVE stops after the first look when its calibrated pAi is at or below / at or above these. */
  adaptive: z.object({
    settleBelow: probability,
    settleAbove: probability,
    chosenOn: z.literal("val"),
    rule: z.string(),
  }),
  evaluation: z.record(z.string(), z.unknown()),
});

/** A parsed reasoning card. */
export type ReasoningCard = z.infer<typeof reasoningCardSchema>;

/** Reads and validates models/reasoning/<version>/model.json. */
export function readReasoningCard(dir: string): ReasoningCard {
  const path = join(dir, "model.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new MirageError("FAILED_PRECONDITION", `cannot read the reasoning card ${path}`, {
      reason: "reasoning-card-unreadable",
      cause,
    });
  }
  const parsed = reasoningCardSchema.safeParse(raw);
  if (!parsed.success) {
    throw new MirageError("FAILED_PRECONDITION", `invalid reasoning card ${path}: ${parsed.error.message}`, {
      reason: "reasoning-card-invalid",
    });
  }
  return parsed.data;
}

/**
 * How the examination turns its readings into the final pAi. Calibrated: the card's regressions
 * (fit on val with triage's log-odds as a second input) and its thresholds. Uncalibrated (no card
 * for this pixel model): the pixel model's own calibration, thresholds and easy-case margins.
 */
export interface ReasoningCalibration {
  /** The card's version ("forensic-v11"), or null when uncalibrated. */
  readonly version: string | null;
  readonly thresholds: ModelCard["thresholds"];
  /** pAi after the first look; `lo` and `triage` are log-odds in the pixel model's calibration. */
  firstLook(lo: number, triage: number): number;
  /** pAi after every stage. */
  examination(lo: number, triage: number): number;
  /** Whether ADAPTIVE may stop after the first look at this calibrated pAi. */
  settles(pAi: number, policy: "default" | "strict"): boolean;
  /** The sentence that says where the first look settles. */
  readonly settleRule: string;
}

/** Log-odds past a card threshold that count as settled when there is no fitted rule (as in depth.ts). */
const UNCALIBRATED_SETTLE_MARGIN = 0.5;

/**
 * The card a reasoning card setting names: a directory, "none" (uncalibrated: null), or unset
 * (the shipped card). MIRAGE_REASONING_CARD_DIR takes these values in the CLI and the service.
 */
export function reasoningCardFor(setting: string | undefined): ReasoningCard | null {
  if (setting === "none") return null;
  return readReasoningCard(setting || defaultReasoningCardDir);
}

/** The calibration from a card fit for this pixel model. */
export function calibrationFromCard(card: ReasoningCard): ReasoningCalibration {
  const linear =
    (m: { weights: [number, number]; bias: number }) =>
    (lo: number, triage: number): number =>
      sigmoid(m.weights[0] * lo + m.weights[1] * triage + m.bias);
  const { settleBelow, settleAbove } = card.adaptive;
  return {
    version: `${card.name}-${card.version}`,
    thresholds: card.thresholds,
    firstLook: linear(card.firstLook),
    examination: linear(card.examination),
    // Strict narrows REAL: a first look settles on the real side only below the strict threshold too.
    settles: (p, policy) =>
      p >= settleAbove ||
      p <= (policy === "strict" ? Math.min(settleBelow, card.thresholds.strictLikelyReal) : settleBelow),
    settleRule: `settled when the first look reads ≤ ${settleBelow.toFixed(2)} or ≥ ${settleAbove.toFixed(2)} (chosen on val: ${card.adaptive.rule})`,
  };
}

/** Without a card: the pixel model's own calibration; the first look settles well past a threshold. */
export function uncalibrated(thresholds: ModelCard["thresholds"]): ReasoningCalibration {
  return {
    version: null,
    thresholds,
    firstLook: (lo) => sigmoid(lo),
    examination: (lo) => sigmoid(lo),
    settles: (p, policy) => {
      const real = policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
      const lo = logOdds(p);
      return (
        lo - logOdds(thresholds.likelyAi) >= UNCALIBRATED_SETTLE_MARGIN ||
        logOdds(real) - lo >= UNCALIBRATED_SETTLE_MARGIN
      );
    },
    settleRule: `settled ${UNCALIBRATED_SETTLE_MARGIN} log-odds past a threshold of the pixel model's card (no reasoning card for this model)`,
  };
}

/**
 * The calibration for a pixel model: the shipped card when it was fit on this very model, else
 * none (a card fit on another model's logits would mis-state every probability).
 */
export function calibrationFor(
  pixelModel: { version: string; card: ModelCard },
  card: ReasoningCard | null,
): ReasoningCalibration {
  if (card && card.triageModel === pixelModel.version) return calibrationFromCard(card);
  return uncalibrated(pixelModel.card.thresholds);
}
