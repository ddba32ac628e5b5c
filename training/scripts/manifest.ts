import { readFileSync } from "node:fs";
import { MirageError } from "@mirage/errors";

/** One row of a dataset's manifest.csv (DESIGN.md "Evaluation protocol"); extra columns kept in `extra`. */
export interface ManifestRow {
  path: string;
  label: "ai" | "real";
  source: string;
  generator: string;
  split: string;
  extra: Record<string, string>;
}

/** Splits CSV text into records (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Reads manifest.csv; throws INVALID_ARGUMENT when a required column or a label is wrong. */
export function readManifest(file: string): ManifestRow[] {
  const [header, ...records] = parseCsv(readFileSync(file, "utf8"));
  if (header === undefined)
    throw new MirageError("INVALID_ARGUMENT", `${file} is empty`, { reason: "manifest-empty" });
  const required = ["path", "label", "source", "generator", "split"];
  for (const column of required) {
    if (!header.includes(column)) {
      throw new MirageError("INVALID_ARGUMENT", `${file} has no column "${column}"`, {
        reason: "manifest-column-missing",
        details: { column },
      });
    }
  }
  return records.map((cells, index) => {
    const record: Record<string, string> = {};
    header.forEach((name, i) => (record[name] = cells[i] ?? ""));
    const label = record["label"];
    if (label !== "ai" && label !== "real") {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `${file} line ${index + 2}: label "${label}" is neither ai nor real`,
        {
          reason: "manifest-bad-label",
          details: { line: index + 2 },
        },
      );
    }
    const extra = Object.fromEntries(Object.entries(record).filter(([k]) => !required.includes(k)));
    return {
      path: record["path"]!,
      label,
      source: record["source"]!,
      generator: record["generator"]!,
      split: record["split"]!,
      extra,
    };
  });
}

/** A file name for a manifest path that is safe in one folder (no separators). */
export function flatName(path: string): string {
  return path.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Quotes a CSV field when it needs it. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Runs `work` over `items` with at most `limit` in flight, in order of start. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(runners);
  return results;
}
