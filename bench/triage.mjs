// npm run bench:triage — the triage fast path on 2 MP JPEGs: per-image cost split into decode,
// provenance, crops, model and fusion on one core; throughput with 1 and 2 workers; and, in the
// same run, the baseline of raw decode + the same ONNX model on the same crops in a tight loop.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import sharp from "sharp";
import { createDetector } from "@mirage/detector";
import { gridCrops } from "@mirage/imaging";
import { analyzeProvenance, inspectSdWatermark } from "@mirage/provenance";
import { mean, quantile, writeSection } from "./results-file.mjs";
import { twoMegapixelJpegs } from "./triage-images.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const dataset = process.env.MIRAGE_SHARED_DIR
  ? join(process.env.MIRAGE_SHARED_DIR, "datasets/aigi-v1")
  : join(root, "../shared/datasets/aigi-v1");
const iterations = Number(process.env.BENCH_ITERATIONS ?? 60);
// One core: libvips and onnxruntime each get one thread.
sharp.concurrency(1);

if (!isMainThread) {
  const { images, count } = workerData;
  const detector = await createDetector({ intraOpThreads: 1 });
  for (let i = 0; i < 3; i++) await detector.detect(images[i % images.length].bytes);
  parentPort.postMessage("ready");
  await new Promise((resolve) => parentPort.once("message", resolve));
  for (let i = 0; i < count; i++) await detector.detect(images[i % images.length].bytes);
  await detector.close();
  parentPort.postMessage("done");
} else {
  if (!existsSync(join(dataset, "manifest.csv"))) {
    console.error(`bench:triage needs ${dataset} (../shared/datasets/aigi-v1)`);
    process.exit(2);
  }
  const images = await twoMegapixelJpegs(dataset, 8);
  const detector = await createDetector({ intraOpThreads: 1 });
  const model = detector.pixelModel;
  const card = model.card;

  // Baseline: what the model costs with nothing around it (raw decode + the same crops + ONNX).
  // Raw means the pixels as stored: no colour management, which sharp would otherwise run for
  // the sRGB profile these JPEGs carry and triage's decode now skips as the identity it is.
  const baselineOnce = async (bytes) => {
    const t0 = performance.now();
    const { data, info } = await sharp(bytes, { ignoreIcc: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = { data, width: info.width, height: info.height, channels: 3, format: "jpeg" };
    await model.scoreCrops(gridCrops(image, card.input.cropSize, card.crops.count));
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) {
    await detector.detect(images[i % images.length].bytes);
    await baselineOnce(images[i % images.length].bytes);
  }
  // Interleaved, so that the machine's drift hits both alike. The provenance step is split by
  // timing its two parts again, alone, on the same bytes and decoded pixels.
  const triage = [];
  const baseline = [];
  const watermarkMs = [];
  const metadataMs = [];
  const watermarkPaths = new Map();
  for (let i = 0; i < iterations; i++) {
    const bytes = images[i % images.length].bytes;
    const { timings, image } = await detector.detect(bytes);
    triage.push(timings);
    baseline.push(await baselineOnce(bytes));
    let t0 = performance.now();
    const inspection = inspectSdWatermark(image);
    watermarkMs.push(performance.now() - t0);
    watermarkPaths.set(images[i % images.length].name, inspection);
    t0 = performance.now();
    await analyzeProvenance(bytes);
    metadataMs.push(performance.now() - t0);
  }
  const settled = [...watermarkPaths.values()].filter((inspection) => inspection.path === "prescreen");
  const rowsScored = [...watermarkPaths.values()].map((inspection) => inspection.rowsScored);
  const column = (key) => triage.map((t) => t[key]);
  const totals = column("totalMs");
  // Phones store most portrait photos sideways (EXIF orientation 5–8): decode turns them upright,
  // a copy of every pixel, so their cost is shown apart from the upright photos'.
  const isSideways = (image) => image.orientation >= 5;
  const sideways = (i) => isSideways(images[i % images.length]);
  const totalsWhere = (keep) => totals.filter((_, i) => keep(i));
  const sidewaysCount = images.filter(isSideways).length;

  const throughput = async (workers, perWorker) => {
    const pool = Array.from(
      { length: workers },
      () => new Worker(fileURLToPath(import.meta.url), { workerData: { images, count: perWorker } }),
    );
    await Promise.all(pool.map((w) => new Promise((resolve) => w.once("message", resolve))));
    const t0 = performance.now();
    pool.forEach((w) => w.postMessage("go"));
    await Promise.all(pool.map((w) => new Promise((resolve) => w.once("message", resolve))));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(pool.map((w) => w.terminate()));
    return (workers * perWorker) / seconds;
  };
  const one = await throughput(1, 40);
  const two = await throughput(2, 40);
  const rssMb = process.resourceUsage().maxRSS / 1024;

  const row = (name, values) =>
    `| ${name} | ${mean(values).toFixed(1)} | ${quantile(values, 0.5).toFixed(1)} | ${quantile(values, 0.95).toFixed(1)} |`;
  const ratioP95 = quantile(totals, 0.95) / quantile(baseline, 0.95);
  const ratioMean = mean(totals) / mean(baseline);
  // Each row holds only its photos' share of the detections: one sideways photo's p95 is near its maximum.
  const orientationRows =
    sidewaysCount > 0 && sidewaysCount < images.length
      ? [
          row(
            `· ${images.length - sidewaysCount} upright photos`,
            totalsWhere((i) => !sideways(i)),
          ),
          row(`· ${sidewaysCount} sideways (EXIF orientation 5–8)`, totalsWhere(sideways)),
        ].join("\n") + "\n"
      : "";
  const body = `
Run ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}; model ${detector.modelVersion}
(${card.crops.count} crops of ${card.input.cropSize} px); ${images.length} real camera photos from aigi-v1 resized to ~2 MP,
JPEG q90 with EXIF; ${iterations} detections, one thread each for libvips and onnxruntime.

| step (ms per image) | mean | p50 | p95 |
|---|---:|---:|---:|
${row("decode", column("decodeMs"))}
${row("provenance (C2PA, EXIF/XMP, watermark)", column("provenanceMs"))}
${row("· watermark alone (same pixels)", watermarkMs)}
${row("· C2PA, EXIF/XMP alone (same bytes)", metadataMs)}
${row("crops", column("cropsMs"))}
${row("model", column("modelMs"))}
${row("fusion", column("fusionMs"))}
${row("**triage total**", totals)}
${orientationRows}${row("baseline: raw decode + same crops + ONNX", baseline)}

- Watermark: ${settled.length} of ${images.length} images settled by the prescreen; share of block rows scored per image: ${rowsScored.map((share) => share.toFixed(2)).join(", ")} (see libs/provenance/README.md).
- Ratio triage / baseline: **${ratioP95.toFixed(2)}** at p95, ${ratioMean.toFixed(2)} at the mean (goal ≤ 1.3).
- Throughput: ${one.toFixed(1)} images/s with 1 worker, ${two.toFixed(1)} images/s with 2 workers (worker threads, 40 images each).
- Peak RSS of the whole run (workers included): ${rssMb.toFixed(0)} MB.
`;
  console.log(body);
  await writeSection("Triage (npm run bench:triage)", body);
  await detector.close();
}
