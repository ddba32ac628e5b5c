#!/usr/bin/env node
import { createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import { createDetector } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import { extraPerturbationNames, perturbationNames } from "@mirage/imaging";
import { parsePerturbations } from "./eval/perturbations.js";
import { renderMarkdown } from "./eval/report.js";
import { runEval, type Protocol } from "./eval/run-eval.js";
import { createExamine, type Mode } from "./modes.js";
import { runScan } from "./scan/scan-command.js";
import { runUp } from "./up.js";

const modes = ["quick", "adaptive", "deep"] as const;

const program = new Command()
  .name("mirage")
  .description(
    "Finds AI-generated images: provenance, a pixel model and reflective reasoning, on this machine.",
  )
  .showHelpAfterError();

program
  .command("scan")
  .description("judge images: files, folders (recursively) and http(s) URLs")
  .argument("<inputs...>", "image files, folders or http(s) URLs")
  .addOption(new Option("--mode <mode>", "how deep to look").choices(modes).default("adaptive"))
  .addOption(
    new Option("--policy <policy>", "strict narrows REAL").choices(["default", "strict"]).default("default"),
  )
  .option("--json", "one verdict per line (JSON, with path in place of eventId/imageId)", false)
  .option("--concurrency <n>", "images judged at once", parsePositive, 2)
  .option("--max-bytes <n>", "largest file or download accepted", parsePositive, 50 * 1024 * 1024)
  .option("--timeout-ms <n>", "time limit of one download", parsePositive, 30_000)
  .option(
    "--allow-host <hosts>",
    "comma-separated hosts (host or host:port) that URLs may reach even on an internal address; other URLs reach public addresses only",
    parseList,
    [],
  )
  .action(
    async (
      inputs: string[],
      opts: {
        mode: Mode;
        policy: "default" | "strict";
        json: boolean;
        concurrency: number;
        maxBytes: number;
        timeoutMs: number;
        allowHost: string[];
      },
    ) => {
      const detector = await createDetector();
      try {
        const { failed } = await runScan(inputs, opts, createExamine(detector), {
          out: (line) => process.stdout.write(`${line}\n`),
        });
        if (failed > 0) process.exitCode = 1;
      } finally {
        await detector.close();
      }
    },
  );

program
  .command("eval")
  .description("evaluate on a dataset folder with manifest.csv (DESIGN.md, Evaluation protocol)")
  .requiredOption("--data <dir>", "dataset folder holding manifest.csv")
  .option("--out <report.json>", "also write the report as JSON (the markdown tables always go to stdout)")
  .addOption(
    new Option("--protocol <protocol>", "files as uploaded, or metadata stripped + JPEG q90")
      .choices(["as-uploaded", "pixels-only"])
      .default("as-uploaded"),
  )
  .option(
    "--perturb <list>",
    `comma-separated perturbations or chains (a+b): ${perturbationNames.join(", ")}; all (those, the protocol's rows) or none (the clean row alone); extra, never in all (all,grayscale adds one): ${extraPerturbationNames.join(", ")}`,
    "all",
  )
  .option("--mode <modes>", "mode, or a comma-separated list of modes (quick: triage alone)", "adaptive")
  .option("--split <name>", "only this split of the manifest")
  .addOption(
    new Option("--policy <policy>", "strict narrows REAL").choices(["default", "strict"]).default("default"),
  )
  .option("--concurrency <n>", "images judged at once", parsePositive, 2)
  .option(
    "--records <file.jsonl>",
    "also write every evaluation (image, variant, mode, pAi, label, reasoning details) as JSON lines",
  )
  .action(
    async (opts: {
      data: string;
      out?: string;
      records?: string;
      protocol: Protocol;
      perturb: string;
      mode: string;
      split?: string;
      policy: "default" | "strict";
      concurrency: number;
    }) => {
      const evalModes = parseModes(opts.mode);
      const perturbations = parsePerturbations(opts.perturb);
      const detector = await createDetector();
      try {
        const examine = createExamine(detector);
        const recordsOut = opts.records ? createWriteStream(opts.records) : null;
        const report = await runEval(
          {
            data: opts.data,
            protocol: opts.protocol,
            perturbations,
            modes: evalModes,
            policy: opts.policy,
            concurrency: opts.concurrency,
            ...(opts.split ? { split: opts.split } : {}),
            ...(recordsOut
              ? {
                  onRecords: (batch) => recordsOut.write(batch.map((r) => `${JSON.stringify(r)}\n`).join("")),
                }
              : {}),
          },
          detector,
          examine,
        );
        if (recordsOut)
          await new Promise<void>((resolve, reject) =>
            recordsOut.end((e?: Error | null) => (e ? reject(e) : resolve())),
          );
        if (opts.out) await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
        const kinds = Object.entries(report.provenance.imagesWithEvidence)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ");
        process.stderr.write(
          `provenance found: ${kinds || "none"}; decided by provenance ${report.provenance.decidedByProvenance}\n`,
        );
        process.stdout.write(renderMarkdown(report));
      } finally {
        await detector.close();
      }
    },
  );

program
  .command("up")
  .description(
    "run gateway, triage and reasoning locally against KAFKA_BROKERS (npm run kafka:start first); Ctrl-C drains and stops them",
  )
  .option("--ready-timeout-ms <n>", "longest wait for each service to become ready", parsePositive, 60_000)
  .action(async (opts: { readyTimeoutMs: number }) => {
    process.exitCode = await runUp({
      readyTimeoutMs: opts.readyTimeoutMs,
      out: (line) => process.stdout.write(`${line}\n`),
    });
  });

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function parseList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseModes(value: string): Mode[] {
  const list = value.split(",").map((s) => s.trim());
  for (const m of list)
    if (!(modes as readonly string[]).includes(m))
      throw new InvalidArgumentError(`unknown mode ${m}: expected ${modes.join(", ")}`);
  return list as Mode[];
}

program.parseAsync().catch((error: unknown) => {
  const e = MirageError.from(error);
  process.stderr.write(`mirage: ${e.message}${e.reason !== "internal" ? ` (${e.reason})` : ""}\n`);
  process.exitCode = 2;
});
