/** What one evaluated image produced. Small on purpose: thousands of these stay in memory, images do not. */
export interface EvalRecord {
  path: string;
  truth: "ai" | "real";
  source: string;
  generator: string;
  variant: string;
  mode: string;
  /** Absent when the image could not be judged (then `error` says why). */
  pAi?: number;
  label?: "AI_GENERATED" | "REAL" | "NEEDS_REVIEW";
  decidedBy?: string;
  escalated?: boolean;
  latencyMs?: number;
  evidenceKinds?: string[];
  /** The band triage gave (kept in every verdict): which images were hard for triage. */
  triageBand?: string;
  /** The reasoning evidence's details (mode, crops, where it stopped, the log-odds it read), when it ran. */
  reasoning?: Record<string, string>;
  error?: string;
}

/** The numbers of the evaluation protocol for a group of records. */
export interface Metrics {
  n: number;
  errors: number;
  accuracy: number;
  balancedAccuracy: number;
  auroc: number;
  /** Share of real images labelled AI_GENERATED (the LIKELY_AI threshold or provenance). */
  fprReal: number;
  /** Share of AI images labelled AI_GENERATED. */
  recallAi: number;
  /** Share of images triage could not settle (UNCERTAIN: escalated in adaptive mode). */
  escalationRate: number;
  /** Accuracy on the images that got AI_GENERATED or REAL (NEEDS_REVIEW left out). */
  decidedAccuracy: number;
  meanLatencyMs: number;
  p95LatencyMs: number;
}

/**
 * Computes the protocol's metrics. accuracy and balanced accuracy read pAi at 0.5 (a forced
 * decision, so that NEEDS_REVIEW cannot hide errors); fprReal and recallAi read the published labels.
 */
export function computeMetrics(records: EvalRecord[]): Metrics {
  const ok = records.filter((r): r is EvalRecord & { pAi: number } => r.pAi !== undefined);
  const ai = ok.filter((r) => r.truth === "ai");
  const real = ok.filter((r) => r.truth === "real");
  const tpr = ratio(ai.filter((r) => r.pAi >= 0.5).length, ai.length);
  const tnr = ratio(real.filter((r) => r.pAi < 0.5).length, real.length);
  const correct = ok.filter((r) => r.pAi >= 0.5 === (r.truth === "ai")).length;
  const decided = ok.filter((r) => r.label === "AI_GENERATED" || r.label === "REAL");
  const latencies = ok.map((r) => r.latencyMs ?? 0).sort((a, b) => a - b);
  return {
    n: ok.length,
    errors: records.length - ok.length,
    accuracy: ratio(correct, ok.length),
    balancedAccuracy: ai.length && real.length ? (tpr + tnr) / 2 : NaN,
    auroc: auroc(
      ok.map((r) => r.pAi),
      ok.map((r) => r.truth === "ai"),
    ),
    fprReal: ratio(real.filter((r) => r.label === "AI_GENERATED").length, real.length),
    recallAi: ratio(ai.filter((r) => r.label === "AI_GENERATED").length, ai.length),
    escalationRate: ratio(ok.filter((r) => r.escalated).length, ok.length),
    decidedAccuracy: ratio(
      decided.filter((r) => (r.label === "AI_GENERATED") === (r.truth === "ai")).length,
      decided.length,
    ),
    meanLatencyMs: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : NaN,
    p95LatencyMs: quantile(latencies, 0.95),
  };
}

/** Area under the ROC curve (Mann–Whitney, ties counted half); NaN without both classes. */
export function auroc(scores: number[], positive: boolean[]): number {
  const items = scores.map((s, i) => ({ s, p: positive[i]! })).sort((a, b) => a.s - b.s);
  const nPos = items.filter((i) => i.p).length;
  const nNeg = items.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  let rankSum = 0;
  for (let i = 0; i < items.length;) {
    let j = i;
    while (j < items.length && items[j]!.s === items[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (items[k]!.p) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** The q-quantile of sorted values (nearest rank); NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}
