import type { EvalRecord } from "./metrics.js";

/** One evaluated image for the metrics' tests: NEEDS_REVIEW counts as escalated, as in adaptive mode. */
export function evalRecord(
  truth: "ai" | "real",
  pAi: number,
  label: EvalRecord["label"],
  extra: Partial<EvalRecord> = {},
): EvalRecord {
  return {
    path: "x",
    truth,
    source: "s",
    generator: "g",
    variant: "clean",
    mode: "quick",
    pAi,
    label,
    escalated: label === "NEEDS_REVIEW",
    latencyMs: 10,
    ...extra,
  };
}
