/**
 * Decodes every image of a dataset ONCE with the serving decoder (`decodeImage` of @mirage/imaging:
 * sharp/libvips, EXIF orientation applied, sRGB, 8-bit RGB) and writes lossless PNGs plus an index,
 * so that Python trains on exactly the pixels serving sees.
 *
 *   npx tsx training/scripts/decode-dataset.ts --data ../shared/datasets/aigi-v1 --out training/work/decoded
 *
 * Images the serving decoder refuses are listed in failures.csv and on stderr (serving would refuse
 * them too, so the model never sees them).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MirageError } from "@mirage/errors";
import { decodeImage } from "@mirage/imaging";
import sharp from "sharp";
import { csvField, flatName, mapLimit, readManifest } from "./manifest.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    out: { type: "string" },
    concurrency: { type: "string", default: "2" },
  },
});
if (values.data === undefined || values.out === undefined) {
  throw new MirageError("INVALID_ARGUMENT", "usage: decode-dataset.ts --data <dataset dir> --out <dir>", {
    reason: "usage",
  });
}
const dataDir = resolve(values.data);
const outDir = resolve(values.out);
mkdirSync(join(outDir, "png"), { recursive: true });
const rows = readManifest(join(dataDir, "manifest.csv"));
const started = Date.now();

interface Outcome {
  ok: boolean;
  line: string;
}

const outcomes = await mapLimit(rows, Number(values.concurrency), async (row): Promise<Outcome> => {
  const png = `png/${flatName(row.path)}.png`;
  try {
    const image = await decodeImage(new Uint8Array(readFileSync(join(dataDir, row.path))));
    // compressionLevel 1: lossless and fast; the pixels, not the file size, matter here.
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toFile(join(outDir, png));
    const cells = [
      row.path,
      png,
      row.label,
      row.source,
      row.generator,
      row.split,
      image.width,
      image.height,
      image.format,
    ];
    return { ok: true, line: cells.map(csvField).join(",") };
  } catch (error) {
    const e = MirageError.from(error);
    process.stderr.write(`decode FAILED ${row.path}: ${e.code} ${e.message}\n`);
    return { ok: false, line: [row.path, row.label, row.split, e.code, e.message].map(csvField).join(",") };
  }
});

const ok = outcomes.filter((o) => o.ok).map((o) => o.line);
const failed = outcomes.filter((o) => !o.ok).map((o) => o.line);
writeFileSync(
  join(outDir, "index.csv"),
  ["path,png,label,source,generator,split,width,height,format", ...ok].join("\n") + "\n",
);
writeFileSync(join(outDir, "failures.csv"), ["path,label,split,code,message", ...failed].join("\n") + "\n");
process.stdout.write(
  `decoded ${ok.length} of ${rows.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failed.length} failed (failures.csv)\n`,
);
