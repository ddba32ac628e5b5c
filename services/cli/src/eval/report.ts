import type { Interval, MetricIntervals } from "./intervals.js";
import type { Metrics } from "./metrics.js";
import type { EvalReport } from "./run-eval.js";

const columns: Array<[string, (m: Metrics) => string]> = [
  ["n", (m) => String(m.n)],
  ["err", (m) => String(m.errors)],
  ["acc", (m) => pct(m.accuracy)],
  ["bal. acc", (m) => pct(m.balancedAccuracy)],
  ["AUROC", (m) => num(m.auroc)],
  ["FPR real", (m) => pct(m.fprReal)],
  ["recall AI", (m) => pct(m.recallAi)],
  ["escalated", (m) => pct(m.escalationRate)],
  ["mean ms", (m) => num(m.meanLatencyMs, 1)],
  ["p95 ms", (m) => num(m.p95LatencyMs, 1)],
];

/** The report as markdown: overall, per mode, per perturbation, per source, per generator, provenance. */
export function renderMarkdown(report: EvalReport): string {
  const sections = [
    `# mirage eval — ${report.protocol}, split ${report.dataset.split ?? "all"}, model ${report.modelVersions.triage}`,
    `Accuracy and balanced accuracy read pAi at 0.5; FPR real and recall AI read the published labels (AI_GENERATED).`,
    table("Overall (clean)", { overall: report.overall }),
    table("Per mode (clean)", report.perMode),
    ...(report.modes.length > 1
      ? [
          table("Per mode, pooled over every variant", report.perModeAllVariants),
          table("Per mode, images triage called UNCERTAIN (clean)", report.perModeUncertain.clean),
          table(
            "Per mode, images triage called UNCERTAIN (every variant)",
            report.perModeUncertain.allVariants,
          ),
          table(
            "Per mode and perturbation",
            Object.fromEntries(
              Object.entries(report.perModeVariant).flatMap(([mode, byVariant]) =>
                Object.entries(byVariant).map(([variant, m]) => [`${mode} / ${variant}`, m]),
              ),
            ),
          ),
        ]
      : []),
    table("Per perturbation", report.perPerturbation),
    intervalTable(report),
    table("Per source (clean)", report.perSource),
    table("Per generator (clean)", report.perGenerator),
    `## Provenance (clean)\n\n| kind | images |\n|---|---|\n${Object.entries(
      report.provenance.imagesWithEvidence,
    )
      .map(([k, v]) => `| ${k} | ${v} |`)
      .join(
        "\n",
      )}\n\nDecided by provenance: ${report.provenance.decidedByProvenance}, precision ${pct(report.provenance.precision)}.`,
    `Run: ${report.run.images} images, ${report.run.evaluations} evaluations, ${report.run.durationSeconds.toFixed(1)} s, peak RSS ${report.run.peakRssMb.toFixed(0)} MB, ${report.errors.length} errors.`,
  ];
  return sections.join("\n\n") + "\n";
}

function table(title: string, rows: Record<string, Metrics>): string {
  const head = `| group | ${columns.map(([c]) => c).join(" | ")} |`;
  const rule = `|---|${columns.map(() => "---:").join("|")}|`;
  const body = Object.entries(rows).map(
    ([name, m]) => `| ${name} | ${columns.map(([, f]) => f(m)).join(" | ")} |`,
  );
  return `## ${title}\n\n${[head, rule, ...body].join("\n")}`;
}

const intervalColumns: Array<[string, keyof MetricIntervals, (x: number) => string]> = [
  ["bal. acc", "balancedAccuracy", pct],
  ["AUROC", "auroc", num],
  ["FPR real", "fprReal", pct],
  ["recall AI", "recallAi", pct],
  ["escalated", "escalationRate", pct],
];

/** The headline rows with their 95 % intervals: each variant in the first mode, then the other modes clean. */
function intervalTable(report: EvalReport): string {
  const [firstMode, ...otherModes] = report.modes;
  const rows: Array<[string, Metrics, MetricIntervals]> = [
    ...Object.entries(report.intervals.perPerturbation).map(
      ([variant, ci]): [string, Metrics, MetricIntervals] => [
        `${firstMode} / ${variant}`,
        report.perPerturbation[variant]!,
        ci,
      ],
    ),
    ...otherModes.map((mode): [string, Metrics, MetricIntervals] => [
      `${mode} / clean`,
      report.perMode[mode]!,
      report.intervals.perMode[mode]!,
    ]),
  ];
  const head = `| group | n | ${intervalColumns.map(([c]) => c).join(" | ")} |`;
  const rule = `|---|---:|${intervalColumns.map(() => "---:").join("|")}|`;
  const body = rows.map(
    ([name, m, ci]) =>
      `| ${name} | ${m.n} | ${intervalColumns.map(([, key, f]) => withInterval(m[key], ci[key], f)).join(" | ")} |`,
  );
  const { method } = report.intervals;
  return [
    `## 95 % intervals`,
    `${method.rates}; ${method.rankings}, ${method.replicates} replicates, seed ${method.seed}. Note: ${method.caveat}.`,
    [head, rule, ...body].join("\n"),
  ].join("\n\n");
}

function withInterval(value: number, [low, high]: Interval, format: (x: number) => string): string {
  if (Number.isNaN(low)) return format(value);
  return `${format(value)} (${format(low)}–${format(high)})`;
}

function pct(x: number): string {
  return Number.isNaN(x) ? "–" : (100 * x).toFixed(1);
}

function num(x: number, digits = 3): string {
  return Number.isNaN(x) ? "–" : x.toFixed(digits);
}
