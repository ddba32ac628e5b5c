import { readFileSync } from "node:fs";
import { decodeImage } from "@mirage/imaging";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeProvenance } from "./analyze.js";
import type { ProvenanceReport } from "./types.js";

interface Row {
  path: string;
  label: string;
  source: string;
  prov_kind: string;
}

/** manifest.csv: RFC 4180 (quoted fields may hold commas), CRLF line ends. */
function readManifest(file: string): Row[] {
  const lines = readFileSync(file, "utf8").trim().split(/\r?\n/);
  const split = (line: string): string[] => {
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ",") {
        fields.push(field);
        field = "";
      } else field += ch;
    }
    fields.push(field);
    return fields;
  };
  const header = split(lines[0]!);
  return lines
    .slice(1)
    .map((line) => Object.fromEntries(split(line).map((value, i) => [header[i], value])) as unknown as Row);
}

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("datasets/aigi-v1", () => {
  const root = sharedPath("datasets/aigi-v1");
  const rows = readManifest(`${root}/manifest.csv`);
  const reports = new Map<string, ProvenanceReport>();
  const read = (row: Row): Uint8Array => new Uint8Array(readFileSync(`${root}/${row.path}`));

  beforeAll(async () => {
    for (const row of rows) reports.set(row.path, await analyzeProvenance(read(row)));
  }, 300_000);

  it("has the 994 images of its README", () => expect(rows).toHaveLength(994));

  it("finds generator metadata in every image the manifest marks generator-metadata", () => {
    const marked = rows.filter((row) => row.prov_kind === "generator-metadata");
    expect(marked).toHaveLength(56);
    const missed = marked.filter(
      (row) =>
        !reports.get(row.path)!.evidence.some((item) => item.kind === "generator-metadata" && item.decisive),
    );
    expect(missed.map((row) => row.path)).toEqual([]);
  });

  it("gives no real photograph decisive evidence, and only real photos camera evidence", () => {
    const decisiveReal = rows.filter((row) => row.label === "real" && reports.get(row.path)!.decisiveAi);
    expect(decisiveReal.map((row) => row.path)).toEqual([]);
    const tally: Record<string, number> = {};
    for (const row of rows) {
      for (const kind of new Set(reports.get(row.path)!.evidence.map((item) => item.kind)))
        tally[`${row.label} ${kind}`] = (tally[`${row.label} ${kind}`] ?? 0) + 1;
    }
    process.stdout.write(`aigi-v1 evidence (metadata only): ${JSON.stringify(tally)}\n`);
    expect(tally["real camera-exif"]).toBeGreaterThan(100);
    expect(tally["ai generator-metadata"]).toBe(56);
  });

  it("finds the diffusers SDXL watermark in the Kolors repository's SDXL comparison images", async () => {
    // Published as SDXL baselines beside Kolors results; diffusers' SDXL pipeline marks its output
    // (passing RGB where the encoder expects BGR), which the reference 8-bit BGR decoder misses.
    const sdxl = [
      "ai/kolors-repo/controlnet__outputs__Pose_woman_3_sdxl.png",
      "ai/kolors-repo/controlnet__outputs__Canny_woman_1_sdxl.png",
      "ai/kolors-repo/controlnet__outputs__Depth_bird_sdxl.png",
      "ai/kolors-repo/ipadapter__asset__2_sdxl_ip_result.png",
    ];
    for (const path of sdxl) {
      const bytes = new Uint8Array(readFileSync(`${root}/${path}`));
      const report = await analyzeProvenance(bytes, { pixels: await decodeImage(bytes) });
      const watermark = report.evidence.find((item) => item.kind === "watermark");
      expect(watermark, path).toMatchObject({
        decisive: true,
        details: { watermark: "sdxl", embedding: "float-rgb" },
      });
    }
  }, 120_000);

  it("finds no watermark in any real photograph", async () => {
    const real = rows.filter((row) => row.label === "real");
    const found: string[] = [];
    let checked = 0;
    for (const row of real) {
      const bytes = read(row);
      let image;
      try {
        image = await decodeImage(bytes);
      } catch {
        continue; // HEIC: the bundled libvips cannot decode it
      }
      checked++;
      const report = await analyzeProvenance(bytes, { pixels: image });
      if (report.evidence.some((item) => item.kind === "watermark")) found.push(row.path);
    }
    expect(checked).toBeGreaterThan(640);
    expect(found).toEqual([]);
  }, 300_000);
});
