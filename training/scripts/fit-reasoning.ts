/**
 * Fits the forensic reasoner's card (models/reasoning/forensic-v11/model.json) on val:
 *   1. MIRAGE_REASONING_CARD_DIR=none npx mirage eval --data <dataset> --split val --protocol pixels-only \
 *        --perturb all --mode deep --records work/reasoning/val-deep.jsonl --out work/reasoning/val-deep.json
 *   2. npx tsx --conditions=@mirage/source training/scripts/fit-reasoning.ts --data <dataset> \
 *        --records work/reasoning/val-deep.jsonl --out models/reasoning/forensic-v11/model.json
 * The records carry, per image and variant, the log-odds triage, the first look and the whole
 * examination read (uncalibrated). This fits two logistic regressions on them, the thresholds of
 * the bands, and the adaptive stopping rule. Every record must come from the val split: the script
 * checks each path against the manifest and refuses anything else, so test is never tuned on.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MirageError } from "@mirage/errors";
import { reasoningCardSchema } from "@mirage/reasoning";
import { fitLogistic, predict, type Logistic } from "./logistic.js";
import { readManifest } from "./manifest.js";

const TARGETS = { likelyAiFprReal: 0.01, likelyRealMissAi: 0.02, strictLikelyRealMissAi: 0.005 };
/** The adaptive rule may cost at most this much balanced accuracy against deep on val (pooled variants). */
const MAX_BALANCED_LOSS = 0.005;
/** …and must give the same label as deep on at least this share of val evaluations. */
const MIN_LABEL_AGREEMENT = 0.95;

interface Row {
  path: string;
  variant: string;
  y: number;
  triage: number;
  firstLook: number;
  examination: number;
  firstLookMs: number;
  totalMs: number;
}

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    records: { type: "string" },
    out: { type: "string" },
    // Default: the card's folder names the version (models/reasoning/forensic-<version>/model.json).
    version: { type: "string" },
  },
});
if (!values.data || !values.records || !values.out) {
  throw new MirageError(
    "INVALID_ARGUMENT",
    "usage: fit-reasoning.ts --data <dataset> --records <val-deep.jsonl> --out <model.json>",
    {
      reason: "usage",
    },
  );
}
const manifestPath = join(values.data, "manifest.csv");
const manifest = readManifest(manifestPath);
const splitOf = new Map(manifest.map((r) => [r.path, r.split]));
const rows: Row[] = [];
let triageModel = "";
for (const line of readFileSync(values.records, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line) as {
    path: string;
    truth: string;
    variant: string;
    mode: string;
    latencyMs?: number;
    reasoning?: Record<string, string>;
    decidedBy?: string;
  };
  if (splitOf.get(r.path) !== "val") {
    throw new MirageError("FAILED_PRECONDITION", `${r.path} is not in the val split: refusing to fit on it`, {
      reason: "not-val",
    });
  }
  if (r.mode !== "deep")
    throw new MirageError("INVALID_ARGUMENT", `record of mode ${r.mode}: fit on deep records`, {
      reason: "not-deep",
    });
  const d = r.reasoning;
  if (!d?.examinationLogOdds || !d.triageLogOdds || !d.firstLookLogOdds) continue; // provenance-decided or unexaminable
  rows.push({
    path: r.path,
    variant: r.variant,
    y: r.truth === "ai" ? 1 : 0,
    triage: Number(d.triageLogOdds),
    firstLook: Number(d.firstLookLogOdds),
    examination: Number(d.examinationLogOdds),
    firstLookMs: Number(d.firstLookMs),
    totalMs: r.latencyMs ?? NaN,
  });
}
const report = JSON.parse(readFileSync(values.records.replace(/\.jsonl$/, ".json"), "utf8")) as {
  modelVersions: { triage: string };
  protocol: string;
  variants: string[];
};
triageModel = report.modelVersions.triage;
const y = rows.map((r) => r.y);
const first = fitLogistic(
  rows.map((r) => [r.firstLook, r.triage]),
  y,
  { balanceClasses: true },
);
const exam = fitLogistic(
  rows.map((r) => [r.examination, r.triage]),
  y,
  { balanceClasses: true },
);
const pFirst = rows.map((r) => predict(first, [r.firstLook, r.triage]));
const pExam = rows.map((r) => predict(exam, [r.examination, r.triage]));
const real = pExam.filter((_, i) => y[i] === 0);
const ai = pExam.filter((_, i) => y[i] === 1);
const likelyAi = thresholdForFpr(real, TARGETS.likelyAiFprReal);
const likelyReal = Math.min(thresholdForMiss(ai, TARGETS.likelyRealMissAi), likelyAi);
const strictLikelyReal = Math.min(thresholdForMiss(ai, TARGETS.strictLikelyRealMissAi), likelyReal);
const thresholds = { likelyAi, likelyReal, strictLikelyReal };

// The adaptive rule: of the (settleBelow, settleAbove) whose val answers stay within
// MAX_BALANCED_LOSS of deep's balanced accuracy and agree with deep's labels often enough, the one
// that settles the most examinations after the first look — the cheapest, whatever the first look
// costs against the rest, so the choice does not depend on this run's timings.
const deepMetrics = metrics(pExam, y, thresholds);
const meanFirstMs = mean(rows.map((r) => r.firstLookMs));
const meanDeepMs = mean(rows.map((r) => r.totalMs));
const candidates = [...new Set(pFirst.map((p) => Math.round(p * 100) / 100))].sort((a, b) => a - b);
let best: { lo: number; hi: number; settled: number; m: Metrics; agreement: number } | null = null;
for (const lo of [0, ...candidates.filter((c) => c < 0.5)]) {
  for (const hi of [1.01, ...candidates.filter((c) => c > 0.5)]) {
    const settled = pFirst.map((p) => p <= lo || p >= hi);
    const p = pExam.map((pe, i) => (settled[i] ? pFirst[i]! : pe));
    const m = metrics(p, y, thresholds);
    const agreement = mean(
      p.map((pi, i) => (labelOf(pi, thresholds) === labelOf(pExam[i]!, thresholds) ? 1 : 0)),
    );
    if (
      m.balancedAccuracy < deepMetrics.balancedAccuracy - MAX_BALANCED_LOSS ||
      agreement < MIN_LABEL_AGREEMENT
    )
      continue;
    const share = mean(settled.map((s) => (s ? 1 : 0)));
    if (!best || share > best.settled) best = { lo, hi: Math.min(hi, 1), settled: share, m, agreement };
  }
}
if (!best) throw new MirageError("INTERNAL", "no adaptive rule meets the constraints", { reason: "no-rule" });

const card = {
  name: "forensic" as const,
  version: values.version ?? basename(dirname(values.out)).replace(/^forensic-/, ""),
  triageModel,
  fitOn: {
    manifest: "datasets/aigi-v1/manifest.csv",
    manifestSha256: createHash("sha256").update(readFileSync(manifestPath)).digest("hex"),
    split: "val" as const,
    protocol: report.protocol,
    variants: report.variants,
    images: new Set(rows.map((r) => r.path)).size,
    evaluations: rows.length,
  },
  firstLook: { weights: round(first.weights) as [number, number], bias: round([first.bias])[0]! },
  examination: { weights: round(exam.weights) as [number, number], bias: round([exam.bias])[0]! },
  thresholds: { ...thresholds, chosenOn: "val" as const, targets: TARGETS },
  adaptive: {
    settleBelow: best.lo,
    settleAbove: best.hi,
    chosenOn: "val" as const,
    rule: `the rule that settles the most within ${MAX_BALANCED_LOSS * 100} points of deep's balanced accuracy and ≥ ${MIN_LABEL_AGREEMENT * 100}% label agreement with deep on val; ${(best.settled * 100).toFixed(0)}% of val examinations settle after the first look`,
  },
  evaluation: {
    note: "val, pixels-only, clean and every perturbation pooled; val was used to fit all of this, so these are optimistic. Test: see README and bench/RESULTS.md (mirage eval).",
    val: {
      triage: metrics(
        rows.map((r) => sigmoid(r.triage)),
        y,
        thresholds,
      ),
      firstLook: metrics(pFirst, y, thresholds),
      deep: deepMetrics,
      adaptive: {
        ...best.m,
        labelAgreementWithDeep: round([best.agreement])[0],
        settledAfterFirstLook: round([best.settled])[0],
      },
      meanMs: {
        firstLook: round([meanFirstMs])[0],
        deep: round([meanDeepMs])[0],
        adaptiveExamination: round([best.settled * meanFirstMs + (1 - best.settled) * meanDeepMs])[0],
      },
    },
  },
};
reasoningCardSchema.parse(card);
mkdirSync(dirname(resolve(values.out)), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(card, null, 2)}\n`);
console.log(
  JSON.stringify(
    {
      firstLook: card.firstLook,
      examination: card.examination,
      thresholds,
      adaptive: card.adaptive,
      val: card.evaluation.val,
    },
    null,
    1,
  ),
);

interface Metrics {
  n: number;
  balancedAccuracy: number;
  auroc: number;
  fprRealAtLikelyAi: number;
  missAiAtLikelyReal: number;
  uncertain: number;
}

function metrics(p: number[], labels: number[], t: { likelyAi: number; likelyReal: number }): Metrics {
  const isAi = labels.map((l) => l === 1);
  const tpr = mean(p.filter((_, i) => isAi[i]).map((v) => (v >= 0.5 ? 1 : 0)));
  const tnr = mean(p.filter((_, i) => !isAi[i]).map((v) => (v < 0.5 ? 1 : 0)));
  return {
    n: p.length,
    balancedAccuracy: round([(tpr + tnr) / 2])[0]!,
    auroc: round([auroc(p, isAi)])[0]!,
    fprRealAtLikelyAi: round([mean(p.filter((_, i) => !isAi[i]).map((v) => (v >= t.likelyAi ? 1 : 0)))])[0]!,
    missAiAtLikelyReal: round([
      mean(p.filter((_, i) => isAi[i]).map((v) => (v <= t.likelyReal ? 1 : 0))),
    ])[0]!,
    uncertain: round([mean(p.map((v) => (v > t.likelyReal && v < t.likelyAi ? 1 : 0)))])[0]!,
  };
}

function labelOf(p: number, t: { likelyAi: number; likelyReal: number }): string {
  return p >= t.likelyAi ? "ai" : p <= t.likelyReal ? "real" : "review";
}

function auroc(scores: number[], positive: boolean[]): number {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/** Smallest threshold (4 decimals) with at most `target` of real scores at or above it (as training/mirage_train). */
function thresholdForFpr(realScores: number[], target: number): number {
  const ordered = [...realScores].sort((a, b) => b - a);
  const allowed = Math.floor(target * ordered.length);
  return allowed < ordered.length ? Math.ceil((ordered[allowed]! + 1e-9) * 1e4) / 1e4 : 0;
}

/** Largest threshold (4 decimals) with at most `target` of AI scores below it. */
function thresholdForMiss(aiScores: number[], target: number): number {
  const ordered = [...aiScores].sort((a, b) => a - b);
  const allowed = Math.floor(target * ordered.length);
  return Math.floor(ordered[allowed]! * 1e4) / 1e4;
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function round(v: number[]): number[] {
  return v.map((x) => Math.round(x * 1e6) / 1e6);
}
