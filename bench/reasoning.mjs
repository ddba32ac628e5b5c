// npm run bench:reasoning — the accuracy/latency trade-off of the reasoning modes: `mirage eval`
// with QUICK, ADAPTIVE and DEEP on the same images (pixels-only, clean and every perturbation,
// each image judged in the three modes one after the other so that all three see the same load),
// then the table per mode and perturbation, the images triage called UNCERTAIN, and the checks:
// DEEP against QUICK on the UNCERTAIN ones, ADAPTIVE against DEEP overall and in mean latency.
// BENCH_SPLIT (default test), BENCH_PERTURB (default all), BENCH_CONCURRENCY (default 2). About 40 min
// on 2 cores for the test split with every perturbation.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSection } from "./results-file.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataset = process.env.MIRAGE_SHARED_DIR
  ? join(process.env.MIRAGE_SHARED_DIR, "datasets/aigi-v1")
  : join(root, "../shared/datasets/aigi-v1");
const split = process.env.BENCH_SPLIT ?? "test";
const perturb = process.env.BENCH_PERTURB ?? "all";
const concurrency = process.env.BENCH_CONCURRENCY ?? "2";
// BENCH_REPORT keeps the whole eval report (JSON) where you want it.
const out = process.env.BENCH_REPORT ?? join(mkdtempSync(join(tmpdir(), "mirage-bench-")), "report.json");
const started = Date.now();
const run = spawnSync(
  process.execPath,
  [
    join(root, "services/cli/dist/main.js"),
    "eval",
    ...["--data", dataset, "--split", split, "--protocol", "pixels-only", "--perturb", perturb],
    ...["--mode", "quick,adaptive,deep", "--concurrency", concurrency, "--out", out],
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);
if (run.status !== 0) throw new Error(`mirage eval failed with status ${run.status}`);
const report = JSON.parse(readFileSync(out, "utf8"));
const modes = ["quick", "adaptive", "deep"];
const pct = (x) => (Number.isNaN(x) ? "–" : (100 * x).toFixed(1));
const ms = (x) => (Number.isNaN(x) ? "–" : x.toFixed(0));
const row = (name, m) =>
  `| ${name} | ${m.n} | ${pct(m.balancedAccuracy)} | ${m.auroc.toFixed(3)} | ${pct(m.fprReal)} | ${pct(m.recallAi)} | ${ms(m.meanLatencyMs)} | ${ms(m.p95LatencyMs)} |`;
const head =
  "| | n | bal. acc | AUROC | FPR real | recall AI | mean ms | p95 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|";

const perVariant = report.variants
  .map((v) => modes.map((mode) => row(`${v} · ${mode}`, report.perModeVariant[mode][v])).join("\n"))
  .join("\n");
const uncertain = report.perModeUncertain;
const pooled = report.perModeAllVariants;
const clean = Object.fromEntries(modes.map((m) => [m, report.perModeVariant[m].clean]));
const deepOverQuick = (set) => 100 * (set.deep.balancedAccuracy - set.quick.balancedAccuracy);
const adaptiveVsDeep = (set) => 100 * (set.adaptive.balancedAccuracy - set.deep.balancedAccuracy);
const latencyShare = (set) => set.adaptive.meanLatencyMs / set.deep.meanLatencyMs;
const checks = [
  `- DEEP − QUICK on the images triage called UNCERTAIN: ${deepOverQuick(uncertain.clean).toFixed(1)} points of balanced accuracy clean, ${deepOverQuick(uncertain.allVariants).toFixed(1)} over every variant (goal ≥ 5).`,
  `- ADAPTIVE − DEEP overall: ${adaptiveVsDeep(clean).toFixed(1)} points clean, ${adaptiveVsDeep(pooled).toFixed(1)} over every variant (goal within 1).`,
  `- ADAPTIVE mean latency / DEEP mean latency: ${(100 * latencyShare(clean)).toFixed(0)}% clean, ${(100 * latencyShare(pooled)).toFixed(0)}% over every variant (goal ≤ 40%).`,
];
const body = [
  `\`mirage eval --split ${split} --protocol pixels-only --perturb ${perturb} --mode quick,adaptive,deep --concurrency ${concurrency}\`, models ${report.modelVersions.triage} + ${report.modelVersions.reasoning}, ${report.run.images} images × ${report.variants.length} variants, ${((Date.now() - started) / 60000).toFixed(1)} min, peak RSS ${report.run.peakRssMb.toFixed(0)} MB. Latency is per image (triage + reasoning, in-process), with ${concurrency} images at once on this shared 2-core machine: compare modes, not absolute times. QUICK is triage alone; ADAPTIVE escalates what triage calls UNCERTAIN and examines only as deep as each case needs; DEEP examines every image with every stage.`,
  checks.join("\n"),
  `### Per mode, clean\n\n${head}\n${modes.map((m) => row(m, clean[m])).join("\n")}`,
  `### Per mode, pooled over every variant\n\n${head}\n${modes.map((m) => row(m, pooled[m])).join("\n")}`,
  `### Images triage called UNCERTAIN\n\n${head}\n${modes.map((m) => row(`${m} · clean`, uncertain.clean[m])).join("\n")}\n${modes.map((m) => row(`${m} · every variant`, uncertain.allVariants[m])).join("\n")}`,
  `### Per perturbation and mode\n\n${head}\n${perVariant}`,
].join("\n\n");
await writeSection("Reasoning modes (npm run bench:reasoning)", body);
console.log(body);
