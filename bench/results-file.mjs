// Replaces one section of bench/RESULTS.md (from "## <title>" to the next "## "), keeping the rest.
import { readFile, writeFile } from "node:fs/promises";

const path = new URL("./RESULTS.md", import.meta.url);

/** Writes `body` under the heading `## title`, replacing what was there. */
export async function writeSection(title, body) {
  const current = await readFile(path, "utf8").catch(
    () => "# Benchmark results\n\nWritten by the benchmarks under bench/; each section by its own script.\n",
  );
  const heading = `## ${title}`;
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = current.indexOf(heading);
  let next;
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const end = current.indexOf("\n## ", start + heading.length);
    next = current.slice(0, start) + section + (end === -1 ? "" : current.slice(end + 1));
  }
  await writeFile(path, next.endsWith("\n") ? next : `${next}\n`);
}

/** Nearest-rank quantile of numbers. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
