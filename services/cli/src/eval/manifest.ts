import { createReadStream } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse";
import { MirageError } from "@mirage/errors";

/** One labelled image of a dataset (DESIGN.md "Evaluation protocol"). */
export interface ManifestRow {
  path: string;
  label: "ai" | "real";
  source: string;
  generator: string;
  split: string;
}

/**
 * Streams `<dir>/manifest.csv` (columns path,label,source,generator,split; more are ignored),
 * keeping rows of `split` when given. Streaming keeps memory flat on datasets of any size.
 */
export async function* readManifest(dir: string, split?: string): AsyncGenerator<ManifestRow> {
  const parser = createReadStream(join(dir, "manifest.csv")).pipe(
    parse({ columns: true, skip_empty_lines: true, trim: true }),
  );
  let line = 1;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    line++;
    const { path, label, source = "", generator = "", split: rowSplit = "" } = record;
    if (!path || (label !== "ai" && label !== "real")) {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `manifest.csv line ${line}: needs a path and a label of ai or real`,
        {
          reason: "invalid-manifest",
          details: { line },
        },
      );
    }
    if (split !== undefined && rowSplit !== split) continue;
    yield { path, label, source, generator, split: rowSplit };
  }
}
