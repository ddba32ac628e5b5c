/**
 * Helpers for tests that read the read-only material in ../shared (datasets, fixtures).
 *
 * ```ts
 * import { describe } from "vitest";
 * import { sharedAvailable, sharedPath } from "@mirage/test-support";
 * describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("on the dataset", () => { ... });
 * ```
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The repository root (this file is libs/test-support/src/index.ts or dist/index.js). */
export const repoRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));

/** ../shared beside the checkout, or MIRAGE_SHARED_DIR. */
export const sharedDir = process.env.MIRAGE_SHARED_DIR ?? resolve(repoRoot, "../shared");

/** An absolute path under ../shared. */
export function sharedPath(...parts: string[]): string {
  return resolve(sharedDir, ...parts);
}

const warned = new Set<string>();

/**
 * True when `relative` exists under ../shared. When it does not, says so loudly on stderr (the
 * tests that need it are skipped); with CI=true it throws instead, so CI never skips them.
 */
export function sharedAvailable(relative: string): boolean {
  const path = sharedPath(relative);
  if (existsSync(path)) return true;
  if (process.env.CI === "true") {
    throw new Error(`CI=true but ${path} is missing: tests that need ../shared must not be skipped in CI`);
  }
  if (!warned.has(path)) {
    warned.add(path);
    process.stderr.write(`\n*** SKIPPING tests that need ${path}: it is not there ***\n\n`);
  }
  return false;
}

/**
 * Runs the first ```ts block of a package's README.md as written (with tsx, from a file beside
 * the package so that "@mirage/*" resolves as it does for a service) and returns it with what it
 * printed, so that a README test can hold the example to the output it promises.
 */
export async function runReadmeExample(
  packageDir: string,
  timeoutMs = 60_000,
): Promise<{ example: string; stdout: string }> {
  const readme = await readFile(join(packageDir, "README.md"), "utf8");
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (example === undefined) throw new Error(`${packageDir}/README.md has no ts example`);
  const file = join(packageDir, `.readme-example-${process.pid}.ts`);
  await writeFile(file, example);
  try {
    const { stdout } = await promisify(execFile)(
      join(repoRoot, "node_modules/.bin/tsx"),
      ["--conditions=@mirage/source", file],
      { cwd: packageDir, timeout: timeoutMs },
    );
    return { example, stdout };
  } finally {
    await rm(file, { force: true });
  }
}
