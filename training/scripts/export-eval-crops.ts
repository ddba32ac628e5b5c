/**
 * Writes the grid crops of one split exactly as serving makes them, for every evaluation variant:
 * as-uploaded bytes, `pixelsOnly(bytes)` and each `applyPerturbation(bytes, name)` of
 * @mirage/imaging, then `decodeImage` → `gridCrops(size, count)`. Python scores them with the ONNX
 * model to calibrate and choose thresholds (training/mirage_train/calibrate.py).
 *
 *   npx tsx training/scripts/export-eval-crops.ts --data ../shared/datasets/aigi-v1 --split val \
 *     --size 128 --count 16 --out training/work/eval-val
 *
 * Output: crops.npy (uint8 [M, size, size, 3]), crops.csv (one row per crop: image, variant, path,
 * label, source, generator, crop, x, y) and failures.csv (variants serving could not decode).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MirageError } from "@mirage/errors";
import { applyPerturbation, decodeImage, gridCrops, perturbationNames, pixelsOnly } from "@mirage/imaging";
import type { Crop } from "@mirage/imaging";
import { csvField, mapLimit, readManifest } from "./manifest.js";
import { NpyUint8Writer } from "./npy.js";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    split: { type: "string" },
    size: { type: "string" },
    count: { type: "string" },
    out: { type: "string" },
    variants: { type: "string", default: ["as-uploaded", "pixels-only", ...perturbationNames].join(",") },
    concurrency: { type: "string", default: "2" },
  },
});
if ([values.data, values.split, values.size, values.count, values.out].includes(undefined)) {
  throw new MirageError(
    "INVALID_ARGUMENT",
    "usage: export-eval-crops.ts --data <dir> --split <name> --size <S> --count <K> --out <dir> [--variants a,b,...]",
    { reason: "usage" },
  );
}
const dataDir = resolve(values.data!);
const outDir = resolve(values.out!);
const size = Number(values.size);
const count = Number(values.count);
const variants = values.variants.split(",").map((v) => v.trim());
mkdirSync(outDir, { recursive: true });

/** The bytes a variant feeds to the serving path. */
async function variantBytes(bytes: Uint8Array, variant: string): Promise<Uint8Array> {
  if (variant === "as-uploaded") return bytes;
  if (variant === "pixels-only") return pixelsOnly(bytes);
  return applyPerturbation(bytes, variant);
}

const rows = readManifest(join(dataDir, "manifest.csv")).filter((row) => row.split === values.split);
const writer = new NpyUint8Writer(join(outDir, "crops.npy"), [size, size, 3]);
const index: string[] = ["image,variant,path,label,source,generator,crop,x,y"];
const failures: string[] = ["image,variant,path,label,code,reason,message"];
const started = Date.now();

// Work is parallel; writing is serialised in job order so the output is deterministic.
const jobs = rows.flatMap((row, image) => variants.map((variant) => ({ row, image, variant })));
const chunk = 32;
type Outcome = { crops: Crop[] } | { error: MirageError };
for (let start = 0; start < jobs.length; start += chunk) {
  const batch = jobs.slice(start, start + chunk);
  const results = await mapLimit(
    batch,
    Number(values.concurrency),
    async ({ row, variant }): Promise<Outcome> => {
      try {
        const bytes = await variantBytes(new Uint8Array(readFileSync(join(dataDir, row.path))), variant);
        return { crops: gridCrops(await decodeImage(bytes), size, count) };
      } catch (error) {
        return { error: MirageError.from(error) };
      }
    },
  );
  results.forEach((result, i) => {
    const { row, image, variant } = batch[i]!;
    if ("error" in result) {
      const e = result.error;
      process.stderr.write(`${variant} FAILED ${row.path}: ${e.code} ${e.reason} ${e.message}\n`);
      failures.push(
        [image, variant, row.path, row.label, e.code, e.reason, e.message].map(csvField).join(","),
      );
      return;
    }
    result.crops.forEach((crop, k) => {
      writer.append(crop.data);
      index.push(
        [image, variant, row.path, row.label, row.source, row.generator, k, crop.x, crop.y]
          .map(csvField)
          .join(","),
      );
    });
  });
}
const written = writer.close();
writeFileSync(join(outDir, "crops.csv"), index.join("\n") + "\n");
writeFileSync(join(outDir, "failures.csv"), failures.join("\n") + "\n");
process.stdout.write(
  `${values.split}: ${rows.length} images × ${variants.length} variants → ${written} crops in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failures.length - 1} failed\n`,
);
