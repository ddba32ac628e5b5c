import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { verdictToJson } from "@mirage/contracts";
import type { Detector, Policy } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import { applyPerturbation, pixelsOnly } from "@mirage/imaging";
import type { Examine, Mode } from "../modes.js";
import { runPool } from "../pool.js";
import { createProgress } from "../progress.js";
import { readManifest, type ManifestRow } from "./manifest.js";
import { INTERVAL_METHOD, metricIntervals, type MetricIntervals } from "./intervals.js";
import { computeMetrics, type EvalRecord, type Metrics } from "./metrics.js";

/** The two protocols of DESIGN.md: files as uploaded, or metadata stripped and re-encoded as JPEG q90. */
export type Protocol = "as-uploaded" | "pixels-only";

/** Options of {@link runEval}. */
export interface EvalOptions {
  data: string;
  split?: string;
  protocol: Protocol;
  /** Perturbation specs ("jpeg75", "resize50+jpeg75", …); the clean variant always runs first. */
  perturbations: string[];
  modes: Mode[];
  policy: Policy;
  concurrency: number;
  /** Receives every image's records as they are made (`mirage eval --records` writes them as JSON lines). */
  onRecords?: (records: EvalRecord[]) => void;
}

/** The evaluation report (written as JSON; printed as markdown tables). */
export interface EvalReport {
  dataset: { dir: string; manifestSha256: string; split: string | null };
  protocol: Protocol;
  modes: Mode[];
  variants: string[];
  modelVersions: { triage: string; reasoning: string };
  /** Clean variant, first mode. */
  overall: Metrics;
  perMode: Record<string, Metrics>;
  /** Every mode under every variant: mode → variant → metrics. */
  perModeVariant: Record<string, Record<string, Metrics>>;
  /**
   * Per mode on the images triage called UNCERTAIN (the escalated ones), clean and pooled over
   * every variant: where deeper reasoning has to earn its cost.
   */
  perModeUncertain: { clean: Record<string, Metrics>; allVariants: Record<string, Metrics> };
  /** Per mode, pooled over every variant. */
  perModeAllVariants: Record<string, Metrics>;
  perPerturbation: Record<string, Metrics>;
  perSource: Record<string, Metrics>;
  perGenerator: Record<string, Metrics>;
  /**
   * 95 % intervals of the headline rows, where every image counts once: each mode on the clean
   * variant, and each variant in the first mode. 148 test images carry a few points either way.
   */
  intervals: {
    method: typeof INTERVAL_METHOD;
    perMode: Record<string, MetricIntervals>;
    perPerturbation: Record<string, MetricIntervals>;
  };
  provenance: {
    /** Images (clean, first mode) with at least one finding of each kind. */
    imagesWithEvidence: Record<string, number>;
    decidedByProvenance: number;
    /** Share of PROVENANCE verdicts whose image is truly AI. */
    precision: number;
  };
  errors: Array<{ path: string; variant: string; error: string }>;
  run: { images: number; evaluations: number; durationSeconds: number; peakRssMb: number };
}

/**
 * Runs the evaluation: every manifest image of the split, under the protocol, clean and under
 * each perturbation, in each mode. Images are streamed from the manifest and dropped after use,
 * so memory holds only the small per-image records.
 */
export async function runEval(
  options: EvalOptions,
  detector: Detector,
  examine: Examine,
): Promise<EvalReport> {
  const started = performance.now();
  const manifestBytes = await readFile(join(options.data, "manifest.csv"));
  const rows: ManifestRow[] = [];
  for await (const row of readManifest(options.data, options.split)) rows.push(row);
  if (rows.length === 0) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `no images in ${options.data} for split ${options.split ?? "(all)"}`,
      {
        reason: "empty-dataset",
      },
    );
  }
  const variants = ["clean", ...options.perturbations.filter((p) => p !== "clean")];
  const records: EvalRecord[] = [];
  const progress = createProgress(rows.length, `eval ${options.protocol}`, 1);
  await runPool(
    rows,
    options.concurrency,
    (row) => evaluateImage(row, variants, options, detector, examine),
    (batch) => {
      records.push(...batch);
      options.onRecords?.(batch);
      progress.tick();
    },
  );
  progress.stop();
  return buildReport(
    records,
    options,
    variants,
    detector,
    examine.reasoningVersion,
    createHash("sha256").update(manifestBytes).digest("hex"),
    rows.length,
    started,
  );
}

async function evaluateImage(
  row: ManifestRow,
  variants: string[],
  options: EvalOptions,
  detector: Detector,
  examine: Examine,
): Promise<EvalRecord[]> {
  const base = { path: row.path, truth: row.label, source: row.source, generator: row.generator };
  let bytes: Uint8Array;
  try {
    const original = new Uint8Array(await readFile(join(options.data, row.path)));
    bytes = options.protocol === "pixels-only" ? await pixelsOnly(original) : original;
  } catch (error) {
    const reason = MirageError.from(error).reason;
    return variants.flatMap((variant) =>
      options.modes.map((mode) => ({ ...base, variant, mode, error: reason })),
    );
  }
  const records: EvalRecord[] = [];
  for (const variant of variants) {
    let input: Uint8Array;
    try {
      input = variant === "clean" ? bytes : await applyPerturbation(bytes, variant);
    } catch (error) {
      for (const mode of options.modes)
        records.push({ ...base, variant, mode, error: MirageError.from(error).reason });
      continue;
    }
    for (const mode of options.modes) {
      const t0 = performance.now();
      try {
        const verdict = verdictToJson(await examine(input, { mode, policy: options.policy }));
        records.push({
          ...base,
          variant,
          mode,
          pAi: verdict.pAi,
          label: verdict.label,
          decidedBy: verdict.decidedBy,
          escalated: verdict.band === "UNCERTAIN" || verdict.decidedBy === "REASONING",
          latencyMs: performance.now() - t0,
          evidenceKinds: [...new Set(verdict.evidence.map((e) => e.kind))],
          triageBand: verdict.band,
          ...reasoningDetails(verdict.evidence),
        });
      } catch (error) {
        records.push({ ...base, variant, mode, error: MirageError.from(error).reason });
      }
    }
  }
  return records;
}

// Triage's band is kept in every verdict, so the same images are compared in every mode.
function uncertainForTriage(r: EvalRecord): boolean {
  return r.triageBand === "UNCERTAIN" && r.decidedBy !== "PROVENANCE";
}

function reasoningDetails(evidence: ReadonlyArray<{ kind: string; details?: Record<string, string> }>) {
  const details = evidence.find((e) => e.kind === "reasoning")?.details;
  return details ? { reasoning: { ...details } } : {};
}

function buildReport(
  records: EvalRecord[],
  options: EvalOptions,
  variants: string[],
  detector: Detector,
  reasoningVersion: string,
  manifestSha256: string,
  images: number,
  started: number,
): EvalReport {
  const firstMode = options.modes[0]!;
  const clean = records.filter((r) => r.variant === "clean" && r.mode === firstMode);
  const groupBy = (items: EvalRecord[], key: (r: EvalRecord) => string): Record<string, Metrics> => {
    const groups = new Map<string, EvalRecord[]>();
    for (const r of items) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    return Object.fromEntries(
      [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, computeMetrics(v)]),
    );
  };
  const imagesWithEvidence: Record<string, number> = {};
  for (const r of clean)
    for (const kind of r.evidenceKinds ?? []) imagesWithEvidence[kind] = (imagesWithEvidence[kind] ?? 0) + 1;
  const byProvenance = clean.filter((r) => r.decidedBy === "PROVENANCE");
  return {
    dataset: { dir: options.data, manifestSha256, split: options.split ?? null },
    protocol: options.protocol,
    modes: options.modes,
    variants,
    modelVersions: {
      triage: detector.modelVersion,
      reasoning: options.modes.some((m) => m !== "quick") ? reasoningVersion : "",
    },
    overall: computeMetrics(clean),
    perMode: groupBy(
      records.filter((r) => r.variant === "clean"),
      (r) => r.mode,
    ),
    perModeVariant: Object.fromEntries(
      options.modes.map((mode) => [
        mode,
        Object.fromEntries(
          variants.map((v) => [v, computeMetrics(records.filter((r) => r.variant === v && r.mode === mode))]),
        ),
      ]),
    ),
    perModeUncertain: {
      clean: groupBy(
        records.filter((r) => r.variant === "clean" && uncertainForTriage(r)),
        (r) => r.mode,
      ),
      allVariants: groupBy(records.filter(uncertainForTriage), (r) => r.mode),
    },
    perModeAllVariants: groupBy(records, (r) => r.mode),
    perPerturbation: Object.fromEntries(
      variants.map((v) => [
        v,
        computeMetrics(records.filter((r) => r.variant === v && r.mode === firstMode)),
      ]),
    ),
    perSource: groupBy(clean, (r) => r.source),
    perGenerator: groupBy(clean, (r) => r.generator),
    intervals: {
      method: INTERVAL_METHOD,
      perMode: Object.fromEntries(
        options.modes.map((mode) => [
          mode,
          metricIntervals(records.filter((r) => r.variant === "clean" && r.mode === mode)),
        ]),
      ),
      perPerturbation: Object.fromEntries(
        variants.map((v) => [
          v,
          metricIntervals(records.filter((r) => r.variant === v && r.mode === firstMode)),
        ]),
      ),
    },
    provenance: {
      imagesWithEvidence,
      decidedByProvenance: byProvenance.length,
      precision: byProvenance.length
        ? byProvenance.filter((r) => r.truth === "ai").length / byProvenance.length
        : NaN,
    },
    errors: records
      .filter((r) => r.error)
      .map((r) => ({ path: r.path, variant: r.variant, error: r.error! })),
    run: {
      images,
      evaluations: records.length,
      durationSeconds: (performance.now() - started) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    },
  };
}
