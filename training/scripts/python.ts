/**
 * The Python the training tests run: the first interpreter, in the documented order of preference,
 * that imports what a test needs. Under CI a missing one is an error, elsewhere a loud skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@mirage/test-support";

/** The first python that imports `modules` (comma-separated, as in an import statement), or undefined. */
export function findPython(modules: string): string | undefined {
  const candidates = [
    process.env.MIRAGE_TRAIN_PYTHON,
    "/work/venvs/train/bin/python",
    join(repoRoot, "training/.venv/bin/python"),
    "python3",
  ];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue;
    if (candidate.includes("/") && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ["-c", `import ${modules}`], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** findPython, failing under CI=true and warning otherwise when none is found (`what` cannot run). */
export function pythonFor(modules: string, what: string): string | undefined {
  const python = findPython(modules);
  if (python === undefined) {
    const message = `no python with ${modules} (set MIRAGE_TRAIN_PYTHON): ${what} cannot run`;
    if (process.env.CI === "true") throw new Error(`CI=true: ${message}`);
    process.stderr.write(`\n*** SKIPPING ${message} ***\n\n`);
  }
  return python;
}
