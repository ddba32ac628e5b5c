import { auroc, type EvalRecord } from "./metrics.js";

/** A two-sided interval [low, high]; both NaN where the group cannot carry one. */
export type Interval = [number, number];

/** 95 % intervals of the protocol's headline numbers for one group of images. */
export interface MetricIntervals {
  balancedAccuracy: Interval;
  auroc: Interval;
  fprReal: Interval;
  recallAi: Interval;
  escalationRate: Interval;
}

/** How {@link metricIntervals} resamples; fixed so that two runs of one dataset print the same intervals. */
export const INTERVAL_METHOD = {
  level: 0.95,
  rates: "Wilson score interval (FPR real, recall AI, escalated)",
  rankings: "percentile bootstrap, AI and real images resampled apart (balanced accuracy, AUROC)",
  replicates: 2000,
  seed: 20261207,
  caveat:
    "images are resampled, not sources: near-duplicates inside a source make these intervals narrower than the truth",
} as const;

const Z_95 = 1.959964;

/**
 * 95 % intervals for a group in which every image appears once (one variant, one mode): a record
 * is an image, so the images are the sampling units. Pooled groups (one image under several
 * variants) are correlated and get none.
 */
export function metricIntervals(records: EvalRecord[]): MetricIntervals {
  const ok = records.filter((r): r is EvalRecord & { pAi: number } => r.pAi !== undefined);
  const ai = ok.filter((r) => r.truth === "ai");
  const real = ok.filter((r) => r.truth === "real");
  const flaggedAi = (group: EvalRecord[]) => group.filter((r) => r.label === "AI_GENERATED").length;
  const [balancedAccuracy, rocArea] = bootstrapRankings(sortedScores(ai), sortedScores(real));
  return {
    balancedAccuracy,
    auroc: rocArea,
    fprReal: wilsonInterval(flaggedAi(real), real.length),
    recallAi: wilsonInterval(flaggedAi(ai), ai.length),
    escalationRate: wilsonInterval(ok.filter((r) => r.escalated).length, ok.length),
  };
}

/** Scores in ascending order, so that the seeded resampling does not depend on the order images finished in. */
function sortedScores(group: Array<{ pAi: number }>): number[] {
  return group.map((r) => r.pAi).sort((a, b) => a - b);
}

/**
 * Wilson score interval of a proportion k / n. Unlike the normal approximation it stays inside
 * [0, 1] and is not empty at 0 of n: 0 false positives in 98 real images still allows 3.8 %.
 */
export function wilsonInterval(successes: number, n: number): Interval {
  if (n === 0) return [NaN, NaN];
  const p = successes / n;
  const z2 = Z_95 * Z_95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Percentile bootstrap of balanced accuracy (pAi read at 0.5) and AUROC. AI and real scores are
 * resampled apart, each keeping its count, as the dataset fixes how many of each class it holds.
 */
export function bootstrapRankings(aiScores: number[], realScores: number[]): [Interval, Interval] {
  if (aiScores.length === 0 || realScores.length === 0) {
    return [
      [NaN, NaN],
      [NaN, NaN],
    ];
  }
  const random = mulberry32(INTERVAL_METHOD.seed);
  const draw = (from: number[]) => from.map(() => from[Math.floor(random() * from.length)]!);
  const balanced: number[] = [];
  const areas: number[] = [];
  const positive = [...aiScores.map(() => true), ...realScores.map(() => false)];
  for (let i = 0; i < INTERVAL_METHOD.replicates; i++) {
    const ai = draw(aiScores);
    const real = draw(realScores);
    const tpr = ai.filter((s) => s >= 0.5).length / ai.length;
    const tnr = real.filter((s) => s < 0.5).length / real.length;
    balanced.push((tpr + tnr) / 2);
    areas.push(auroc([...ai, ...real], positive));
  }
  return [percentileInterval(balanced), percentileInterval(areas)];
}

function percentileInterval(values: number[]): Interval {
  const sorted = [...values].sort((a, b) => a - b);
  const tail = (1 - INTERVAL_METHOD.level) / 2;
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
  return [at(tail), at(1 - tail)];
}

/** Deterministic uniform numbers in [0, 1) (mulberry32): the same intervals on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
