// npm run bench:mesh — the mesh through a real Kafka broker: sustained throughput of the fast
// path, Kafka-to-verdict latency at ~70% of it, the same with escalation, and the overhead of
// the mesh over calling detect() in-process on the same images (measured in the same run).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createDetector } from "@mirage/detector";
import { Band } from "@mirage/contracts";
import {
  collect,
  datasetDir,
  pickImages,
  sendEvents,
  validEvents,
  type DatasetImage,
  type TestEvent,
} from "../test/support/events.js";
import { startMesh } from "../test/support/mesh.js";
import { mean, quantile, writeSection } from "./results-file.mjs";

const burst = Number(process.env.BENCH_BURST ?? 400);
const paceSeconds = Number(process.env.BENCH_PACE_SECONDS ?? 45);

/** Splits images by what triage does with them, with the shipped model, in-process. */
async function screen(images: DatasetImage[]) {
  const detector = await createDetector();
  const settled: DatasetImage[] = [];
  const uncertain: DatasetImage[] = [];
  const inProcessMs: number[] = [];
  for (const image of images) {
    const bytes = new Uint8Array(readFileSync(join(datasetDir, image.path)));
    const t0 = performance.now();
    const { band } = await detector.detect(bytes);
    inProcessMs.push(performance.now() - t0);
    (band === Band.UNCERTAIN ? uncertain : settled).push(image);
  }
  await detector.close();
  return { settled, uncertain, inProcessMs };
}

async function run(label: string, images: DatasetImage[]) {
  const mesh = await startMesh({ env: { MIRAGE_FILE_ROOTS: datasetDir, LOG_LEVEL: "error" } });
  const got = await collect(mesh.brokers, mesh.topics);
  try {
    // Saturated: a burst, timed from the first verdict to the last.
    const events = validEvents(images, burst);
    await sendEvents(mesh.brokers, mesh.topics.uploads, events.slice(0, 20));
    await got.until(() => got.producedAt.size >= 20, 300_000, "warm-up verdicts");
    const warm = got.producedAt.size;
    const t0 = Date.now();
    await sendEvents(mesh.brokers, mesh.topics.uploads, events.slice(20));
    await got.until(() => got.producedAt.size >= burst, 1_800_000, `${label} burst verdicts`);
    const throughput = (burst - warm) / ((Date.now() - t0) / 1000);

    // Paced at 70% of that: latency from the upload's send to the verdict's write, per event.
    const rate = 0.7 * throughput;
    const paced = validEvents(images, Math.max(20, Math.round(rate * paceSeconds)));
    const sentAt = new Map<string, number>();
    const start = Date.now();
    for (let i = 0; i < paced.length; i++) {
      const due = start + (i / rate) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      sentAt.set(paced[i]!.eventId, Date.now());
      await sendEvents(mesh.brokers, mesh.topics.uploads, [paced[i] as TestEvent]);
    }
    await got.until(
      () => paced.every((e) => got.producedAt.has(e.eventId)),
      1_800_000,
      `${label} paced verdicts`,
    );
    const latencies = paced.map((e) => got.producedAt.get(e.eventId)! - sentAt.get(e.eventId)!);
    const decided = new Map<string, number>();
    for (const v of got.verdicts)
      decided.set(String(v.decidedBy), (decided.get(String(v.decidedBy)) ?? 0) + 1);
    return { throughput, rate, latencies, decided: Object.fromEntries(decided) };
  } finally {
    await got.consumer.stop();
    await mesh.close();
  }
}

const images = pickImages(120);
const { settled, uncertain, inProcessMs } = await screen(images);
const fast = await run("fast path", settled);
const mixed = await run("with escalation", images);
// In-process: the same settled images, detect() in a loop with two side by side (two cores).
const detector = await createDetector();
const t0 = performance.now();
let n = 0;
await Promise.all(
  [0, 1].map(async (w) => {
    for (let i = w; i < burst; i += 2) {
      await detector.detect(
        new Uint8Array(readFileSync(join(datasetDir, settled[i % settled.length]!.path))),
      );
      n++;
    }
  }),
);
const inProcessThroughput = n / ((performance.now() - t0) / 1000);
await detector.close();

const row = (name: string, r: Awaited<ReturnType<typeof run>>) =>
  `| ${name} | ${r.throughput.toFixed(1)} | ${r.rate.toFixed(1)} | ${quantile(r.latencies, 0.5).toFixed(0)} | ${quantile(r.latencies, 0.95).toFixed(0)} | ${quantile(r.latencies, 0.99).toFixed(0)} | ${JSON.stringify(r.decided)} |`;
const body = `
Run ${new Date().toISOString()}; one broker, triage, reasoning and gateway on this 2-core machine; ${images.length} aigi-v1 images (≤1.2 MP,
AI and real), ${settled.length} settled by triage and ${uncertain.length} uncertain (screened in-process with the shipped model).
Bursts of ${burst} events (inline, file:// and protobuf mixed); latency = upload sent → verdict written, paced at 70% of the burst rate for ${paceSeconds} s.

| run | throughput (events/s) | paced at (events/s) | p50 ms | p95 ms | p99 ms | decided by |
|---|---:|---:|---:|---:|---:|---|
${row("fast path (settled images)", fast)}
${row("with escalation (all images)", mixed)}

- In-process detect() on the same settled images, two at a time: ${inProcessThroughput.toFixed(1)} images/s; mean ${mean(inProcessMs).toFixed(0)} ms, p50 ${quantile(inProcessMs, 0.5).toFixed(0)} ms per image alone.
- Mesh overhead: throughput ratio in-process / mesh = **${(inProcessThroughput / fast.throughput).toFixed(2)}**; latency ratio mesh p50 / in-process p50 = **${(quantile(fast.latencies, 0.5) / quantile(inProcessMs, 0.5)).toFixed(2)}**.
`;
console.log(body);
await writeSection("Mesh (npm run bench:mesh)", body);
