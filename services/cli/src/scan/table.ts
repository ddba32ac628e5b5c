import type { VerdictJson } from "@mirage/contracts";

/** One row of the scan table: a verdict or the error that stopped it. */
export type ScanRow =
  { path: string; verdict: VerdictJson } | { path: string; error: { reason: string; message: string } };

/** Renders rows as a fixed-width table for people; long cells are cut with an ellipsis. */
export function renderTable(
  rows: ScanRow[],
  width = process.stdout.isTTY ? process.stdout.columns : Infinity,
): string {
  const header = ["FILE", "LABEL", "pAi", "DECIDED BY", "EVIDENCE"];
  const cells = rows.map((row) =>
    "error" in row
      ? [row.path, "ERROR", "-", "-", `${row.error.reason}: ${row.error.message}`]
      : [
          row.path,
          row.verdict.label,
          row.verdict.pAi.toFixed(2),
          row.verdict.decidedBy,
          strongestEvidence(row.verdict),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  widths[0] = Math.min(widths[0]!, 48);
  const fixed = widths.slice(0, 4).reduce((a, b) => a + b + 2, 0);
  widths[4] = Math.max(20, Math.min(widths[4]!, width - fixed));
  const line = (c: string[]) =>
    c
      .map((cell, i) => fit(cell, widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}

/** The evidence that weighs most, then the rest by weight, as one line. */
function strongestEvidence(verdict: VerdictJson): string {
  const sorted = [...verdict.evidence].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  return sorted.map((e) => e.summary).join(" ") || "no evidence either way";
}

function fit(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width);
  if (width <= 1) return text.slice(0, width);
  // Keep the end of paths (the file name), the start of everything else.
  return text.includes("/") && !text.includes(" ")
    ? `…${text.slice(text.length - width + 1)}`
    : `${text.slice(0, width - 1)}…`;
}
