import { create } from "@bufbuild/protobuf";
import { Band, DecidedBy, EvidenceSchema, Label, type Evidence } from "@mirage/contracts";
import type { ProvenanceReport } from "@mirage/provenance";
import type { ModelCard } from "./model-card.js";
import { sigmoid, type PixelScore } from "./pixel-model.js";

/** How strict the caller wants the REAL side to be. */
export type Policy = "default" | "strict";

/** Evidence weights of non-decisive provenance move the pixel log-odds by weight × this factor. */
const WEAK_EVIDENCE_LOG_ODDS = 2;
/** pAi published for decisive provenance (a signed AI claim, generator metadata, a watermark). */
const DECISIVE_P_AI = 0.99;

/** The fused judgement of triage. */
export interface Fused {
  pAi: number;
  band: Band;
  label: Label;
  decidedBy: DecidedBy;
  evidence: Evidence[];
}

/** Inputs of {@link fuse}. */
export interface FusionInput {
  provenance: ProvenanceReport;
  /** The pixel model's score; absent when the pixels could not be read or no model is loaded. */
  pixel?: PixelScore | undefined;
  /** Why a loaded pixel model did not read a decoded image (too small): said in the evidence. */
  pixelsUnread?: string | undefined;
  /** Thresholds from the model card; absent without a model. */
  thresholds?: ModelCard["thresholds"] | undefined;
  /**
   * Fewest textured crops whose reading may settle a band (the card's `crops.minTexturedForBand`;
   * default 1): a reading of less of the image is kept in pAi but goes to review.
   */
  minTexturedForBand?: number | undefined;
  /** Size of the image, to say where the strongest crop sits. */
  image?: { width: number; height: number } | undefined;
  policy: Policy;
}

/**
 * Turns all evidence into a calibrated pAi, a band and a label. Decisive provenance wins; otherwise
 * the calibrated pixel pAi, nudged in log-odds by weak provenance (camera EXIF), is read against the
 * card's thresholds. Without pixel evidence, or with too few textured crops to settle a band,
 * nothing uncertain is guessed: NEEDS_REVIEW (pAi then says what the weak evidence alone reads).
 */
export function fuse(input: FusionInput): Fused {
  const evidence = input.provenance.evidence.map((e) =>
    create(EvidenceSchema, { kind: e.kind, summary: e.summary, weight: e.weight, details: e.details }),
  );
  if (input.provenance.decisiveAi) {
    const pAi = Math.max(DECISIVE_P_AI, input.pixel?.pAi ?? 0);
    if (input.pixel) evidence.push(pixelEvidence(input.pixel, input.image));
    return {
      pAi,
      band: Band.LIKELY_AI,
      label: Label.AI_GENERATED,
      decidedBy: DecidedBy.PROVENANCE,
      evidence,
    };
  }
  // Weak provenance (camera EXIF, an untrusted algorithmicMedia claim) moves the log-odds of the
  // pixel reading, or of even odds when there is none: it never settles a band on its own.
  const shift = input.provenance.evidence.reduce((sum, e) => sum + e.weight * WEAK_EVIDENCE_LOG_ODDS, 0);
  if (!input.pixel || !input.thresholds) {
    if (input.pixelsUnread) evidence.push(unreadPixelsEvidence(input.pixelsUnread));
    return {
      pAi: sigmoid(shift),
      band: Band.UNCERTAIN,
      label: Label.NEEDS_REVIEW,
      decidedBy: DecidedBy.TRIAGE,
      evidence,
    };
  }
  evidence.push(pixelEvidence(input.pixel, input.image));
  const pAi = sigmoid(logit(input.pixel.pAi) + shift);
  const minTextured = input.minTexturedForBand ?? 1;
  const fewCrops = input.pixel.logits.length < minTextured;
  if (fewCrops) evidence.push(fewCropsEvidence(input.pixel.logits.length, minTextured));
  const band = fewCrops ? Band.UNCERTAIN : bandOf(pAi, input.thresholds, input.policy);
  return { pAi, band, label: labelOf(band), decidedBy: DecidedBy.TRIAGE, evidence };
}

/** The published label of a band: LIKELY_AI is AI_GENERATED, LIKELY_REAL is REAL, the rest goes to a person. */
export function labelOf(band: Band): Label {
  return band === Band.LIKELY_AI
    ? Label.AI_GENERATED
    : band === Band.LIKELY_REAL
      ? Label.REAL
      : Label.NEEDS_REVIEW;
}

/** Reads a calibrated pAi against the thresholds; policy strict narrows LIKELY_REAL. */
export function bandOf(pAi: number, thresholds: ModelCard["thresholds"], policy: Policy): Band {
  if (pAi >= thresholds.likelyAi) return Band.LIKELY_AI;
  const realBelow = policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
  if (pAi <= realBelow) return Band.LIKELY_REAL;
  return Band.UNCERTAIN;
}

/**
 * The pixel model's finding as evidence: "pixel model: 0.93 over 6 crops, strongest in the upper
 * left." — with "(10 flat crops not read)" when some crops of the grid carried no texture.
 */
export function pixelEvidence(pixel: PixelScore, image?: { width: number; height: number }): Evidence {
  const n = pixel.logits.length;
  let strongest = 0;
  pixel.logits.forEach((l, i) => {
    if (l > pixel.logits[strongest]!) strongest = i;
  });
  const where = image && n > 1 ? `, strongest in the ${regionName(pixel.crops[strongest]!, image)}` : "";
  const spread = n > 1 ? Math.max(...pixel.logits) - Math.min(...pixel.logits) : 0;
  const flat =
    pixel.flatCrops > 0 ? ` (${pixel.flatCrops} flat crop${pixel.flatCrops === 1 ? "" : "s"} not read)` : "";
  return create(EvidenceSchema, {
    kind: "pixel-model",
    summary: `pixel model: ${pixel.pAi.toFixed(2)} over ${n} crop${n === 1 ? "" : "s"}${flat}${where}.`,
    weight: 2 * pixel.pAi - 1,
    details: {
      pAi: pixel.pAi.toFixed(4),
      logit: pixel.logit.toFixed(4),
      crops: String(n),
      flatCrops: String(pixel.flatCrops),
      logitSpread: spread.toFixed(3),
    },
  });
}

/** Why a pixel reading from too few textured crops does not settle the band, as evidence of no weight. */
function fewCropsEvidence(textured: number, minTextured: number): Evidence {
  return create(EvidenceSchema, {
    kind: "pixel-model",
    summary:
      `pixel model: only ${textured} textured crop${textured === 1 ? "" : "s"} (fewer than ${minTextured}): ` +
      "too little of the image to decide from its pixels, so a person should look.",
    weight: 0,
    details: {
      texturedCrops: String(textured),
      minTexturedForBand: String(minTextured),
    },
  });
}

/** Why the pixel model said nothing, as evidence of no weight, so the verdict explains its NEEDS_REVIEW. */
function unreadPixelsEvidence(why: string): Evidence {
  return create(EvidenceSchema, {
    kind: "pixel-model",
    summary: `pixel model: not read. ${why}; nothing else decides, so a person should look.`,
    weight: 0,
    details: { read: "false" },
  });
}

/** "upper left", "centre", "lower right", … for where a crop's centre sits on the image. */
export function regionName(
  crop: { x: number; y: number; size: number },
  image: { width: number; height: number },
): string {
  const third = (v: number, total: number) => (v < total / 3 ? 0 : v < (2 * total) / 3 ? 1 : 2);
  const col = third(crop.x + crop.size / 2, image.width);
  const row = third(crop.y + crop.size / 2, image.height);
  const rows = ["upper", "middle", "lower"] as const;
  const cols = ["left", "centre", "right"] as const;
  if (row === 1 && col === 1) return "centre";
  if (row === 1) return `middle ${cols[col]}`;
  if (col === 1) return `${rows[row]} centre`;
  return `${rows[row]} ${cols[col]}`;
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}
