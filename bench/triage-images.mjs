// The benchmark's inputs: real camera photographs from ../shared/datasets/aigi-v1, resized to
// about 2 megapixels and saved as JPEG q90 with their EXIF, as a phone upload would be.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";

export async function twoMegapixelJpegs(datasetDir, count) {
  const manifest = (await readFile(join(datasetDir, "manifest.csv"), "utf8")).trim().split("\n");
  const header = manifest[0].split(",");
  const col = (name) => header.indexOf(name);
  const rows = manifest.slice(1).map((l) => l.split(","));
  const picks = rows
    .filter((r) => r[col("label")] === "real" && r[col("format")] === "JPEG" && r[col("has_exif")] === "1")
    .filter((r) => Number(r[col("width")]) * Number(r[col("height")]) >= 2_000_000)
    .slice(0, count);
  const images = [];
  for (const r of picks) {
    const input = await readFile(join(datasetDir, r[col("path")]));
    const meta = await sharp(input).metadata();
    const scale = Math.sqrt(2_000_000 / (meta.width * meta.height));
    const bytes = await sharp(input)
      .resize(Math.round(meta.width * scale), Math.round(meta.height * scale))
      .withMetadata()
      .jpeg({ quality: 90 })
      .toBuffer();
    images.push({ name: r[col("path")], bytes: new Uint8Array(bytes), orientation: meta.orientation ?? 1 });
  }
  return images;
}
