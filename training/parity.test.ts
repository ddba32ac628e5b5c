/**
 * Serving and training build the same model input: TypeScript (decodeImage → gridCrops →
 * normalise, as libs/detector does from model.json) and Python (lossless PNG of the decoded pixels
 * → training/mirage_train/crops.py) must give identical tensors, bit for bit, and the same residual
 * RMS per crop (texture.ts / texture.py), so both leave out the same flat crops.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cropResidualRms, decodeImage, gridCrops } from "@mirage/imaging";
import { repoRoot, sharedAvailable, sharedPath } from "@mirage/test-support";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { readManifest } from "./scripts/manifest.js";
import { pythonFor } from "./scripts/python.js";

interface Card {
  input: { cropSize: number; normalize: { mean: number; std: number } };
  crops: { count: number; flatResidualRms: number };
}
const card = JSON.parse(readFileSync(join(repoRoot, "models/triage/v11/model.json"), "utf8")) as Card;

const python = pythonFor("numpy, PIL", "the training/serving parity test");

/** The model input for one crop, as serving computes it: HWC uint8 → CHW float32, (x − mean) / std. */
function normalise(data: Uint8Array, size: number): Float32Array {
  const { mean, std } = card.input.normalize;
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < size * size; i++) out[c * size * size + i] = (data[i * 3 + c]! - mean) / std;
  }
  return out;
}

/** A float32 little-endian C-order .npy as [shape, values]. */
function readNpyFloat32(file: string): { shape: number[]; values: Float32Array } {
  const buf = readFileSync(file);
  const headerLength = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLength).toString("latin1");
  if (!header.includes("'<f4'") || !header.includes("'fortran_order': False"))
    throw new Error(`${file}: not a C-order float32 .npy: ${header}`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  const body = buf.subarray(10 + headerLength);
  return {
    shape,
    values: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
  };
}

describe.skipIf(python === undefined || !sharedAvailable("datasets/aigi-v1"))(
  "training/serving crop parity",
  () => {
    const work = mkdtempSync(join(tmpdir(), "mirage-parity-"));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it("gives identical crop tensors in TypeScript and Python", async () => {
      const dataset = sharedPath("datasets/aigi-v1");
      const rows = readManifest(join(dataset, "manifest.csv"));
      // One image per format, one with camera EXIF (orientation), the smallest one (reflection).
      const picks = new Map<string, Uint8Array>();
      for (const format of ["JPEG", "PNG", "WEBP"]) {
        const row = rows.find((r) => r.extra["format"]?.toUpperCase() === format);
        if (row !== undefined) picks.set(row.path, new Uint8Array(readFileSync(join(dataset, row.path))));
      }
      const exif = rows.find(
        (r) => r.extra["has_exif"] === "1" && r.extra["format"] === "JPEG" && !picks.has(r.path),
      );
      if (exif !== undefined) picks.set(exif.path, new Uint8Array(readFileSync(join(dataset, exif.path))));
      // Smaller than a crop in one side and odd-sized: exercises the reflection padding.
      const tiny = await sharp({
        create: { width: 97, height: 61, channels: 3, background: { r: 10, g: 200, b: 90 } },
      })
        .composite([
          {
            input: Buffer.from(
              '<svg width="97" height="61"><circle cx="30" cy="30" r="25" fill="#c03"/></svg>',
            ),
          },
        ])
        .png()
        .toBuffer();
      picks.set("synthetic/tiny.png", new Uint8Array(tiny));
      // A product on a flat backdrop: flat and textured crops side by side.
      const noise = Uint8Array.from({ length: 160 * 120 * 3 }, (_, i) => (i * 7919) % 251);
      const backdrop = await sharp({
        create: { width: 400, height: 300, channels: 3, background: { r: 245, g: 245, b: 245 } },
      })
        .composite([
          { input: Buffer.from(noise), raw: { width: 160, height: 120, channels: 3 }, left: 20, top: 20 },
        ])
        .png()
        .toBuffer();
      picks.set("synthetic/backdrop.png", new Uint8Array(backdrop));
      expect(picks.size).toBeGreaterThanOrEqual(5);

      const size = card.input.cropSize;
      const count = card.crops.count;
      const expected = new Map<
        string,
        { tensor: Float32Array; positions: Array<{ x: number; y: number }>; rms: number[] }
      >();
      const jobs: Array<{ png: string; size: number; count: number; name: string }> = [];
      let n = 0;
      for (const [, bytes] of picks) {
        const image = await decodeImage(bytes);
        const crops = gridCrops(image, size, count);
        const tensor = new Float32Array(crops.length * 3 * size * size);
        crops.forEach((crop, k) => tensor.set(normalise(crop.data, size), k * 3 * size * size));
        const name = `image${n++}`;
        const png = join(work, `${name}.png`);
        // The same lossless hand-off as training/scripts/decode-dataset.ts.
        await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .png({ compressionLevel: 1 })
          .toFile(png);
        jobs.push({ png, size, count, name });
        expected.set(name, {
          tensor,
          positions: crops.map(({ x, y }) => ({ x, y })),
          rms: crops.map(cropResidualRms),
        });
      }
      writeFileSync(join(work, "jobs.json"), JSON.stringify(jobs));
      const run = spawnSync(
        python!,
        [join(repoRoot, "training/mirage_train/parity.py"), join(work, "jobs.json"), join(work, "out")],
        {
          encoding: "utf8",
        },
      );
      expect(run.status, run.stderr).toBe(0);

      let flat = 0;
      let textured = 0;
      for (const [name, { tensor, positions, rms }] of expected) {
        const got = readNpyFloat32(join(work, "out", `${name}.npy`));
        expect(got.shape).toEqual([positions.length, 3, size, size]);
        expect(JSON.parse(readFileSync(join(work, "out", `${name}.json`), "utf8"))).toEqual(positions);
        let maxDiff = 0;
        for (let i = 0; i < tensor.length; i++)
          maxDiff = Math.max(maxDiff, Math.abs(tensor[i]! - got.values[i]!));
        expect(maxDiff, `${name}: max abs difference`).toBe(0);
        const pythonRms = JSON.parse(readFileSync(join(work, "out", `${name}.rms.json`), "utf8")) as number[];
        expect(pythonRms).toHaveLength(rms.length);
        rms.forEach((value, k) => {
          expect(pythonRms[k], `${name} crop ${k}: residual RMS`).toBeCloseTo(value, 9);
          const isFlat = value < card.crops.flatResidualRms;
          expect(pythonRms[k]! < card.crops.flatResidualRms, `${name} crop ${k}: flat in both`).toBe(isFlat);
          if (isFlat) flat++;
          else textured++;
        });
      }
      // The backdrop image holds both kinds, so the rule is exercised on each side.
      expect(flat).toBeGreaterThan(0);
      expect(textured).toBeGreaterThan(0);
    });
  },
);
