/**
 * Helpers for tests that read the read-only material in ../shared (datasets, fixtures).
 *
 * ```ts
 * import { describe } from "vitest";
 * import { sharedAvailable, sharedPath } from "@mirage/test-support";
 * describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("on the dataset", () => { ... });
 * ```
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

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
