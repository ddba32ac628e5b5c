import { verdictToJson } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { createHostAllowList } from "@mirage/http-fetch";
import { createProgress } from "../progress.js";
import { runPool } from "../pool.js";
import { expandInputs, readInput, type ReadLimits, type ScanInput } from "./inputs.js";
import { renderTable, type ScanRow } from "./table.js";
import type { Examine, Mode } from "../modes.js";

/** Options of {@link runScan}. */
export interface ScanOptions {
  mode: Mode;
  json: boolean;
  concurrency: number;
  maxBytes: number;
  timeoutMs: number;
  /** Hosts URLs may reach on internal addresses (`--allow-host`); every other URL reaches public addresses only. */
  allowHost: string[];
  policy: "default" | "strict";
}

/** Where scan writes: stdout for results, stderr for progress. */
export interface ScanOutput {
  out: (line: string) => void;
}

/**
 * `mirage scan`: one verdict per image. A file that fails prints its error and the scan goes on;
 * the returned count of failures lets the caller choose the exit code.
 */
export async function runScan(
  args: string[],
  options: ScanOptions,
  examine: Examine,
  output: ScanOutput,
): Promise<{ scanned: number; failed: number }> {
  const inputs = await expandInputs(args);
  const limits = {
    maxBytes: options.maxBytes,
    timeoutMs: options.timeoutMs,
    allow: createHostAllowList(["*", ...options.allowHost]),
  };
  const progress = options.json ? createProgress(0, "scan") : createProgress(inputs.length, "scan");
  const rows: ScanRow[] = new Array(inputs.length);
  const order = new Map(inputs.map((input, i) => [input, i]));
  let failed = 0;
  await runPool(
    inputs,
    options.concurrency,
    (input) => scanOne(input, limits, options, examine),
    (row, input) => {
      if ("error" in row) failed++;
      progress.tick();
      if (options.json)
        output.out(JSON.stringify("error" in row ? row : { path: row.path, ...withoutIds(row.verdict) }));
      else rows[order.get(input)!] = row;
    },
  );
  progress.stop();
  if (!options.json) output.out(renderTable(rows));
  return { scanned: inputs.length, failed };
}

async function scanOne(
  input: ScanInput,
  limits: ReadLimits,
  options: ScanOptions,
  examine: Examine,
): Promise<ScanRow> {
  try {
    const bytes = await readInput(input, limits);
    const verdict = await examine(bytes, { mode: options.mode, policy: options.policy });
    return { path: input.path, verdict: verdictToJson(verdict) };
  } catch (error) {
    const e = MirageError.from(error);
    return { path: input.path, error: { reason: e.reason, message: e.message } };
  }
}

function withoutIds<T extends { eventId?: string; imageId?: string }>(
  verdict: T,
): Omit<T, "eventId" | "imageId"> {
  const { eventId: _e, imageId: _i, ...rest } = verdict;
  return rest;
}
