import { register as globalRegistry, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  baseLatencyBuckets,
  createMetricFactory,
  createMetrics,
  createWorkerMetrics,
  latencyBuckets,
  metricNames,
  queueWaitBuckets,
  workerMetricNames,
} from "./index.js";

const slo = { fastSeconds: 0.5, escalatedSeconds: 15 };

describe("latencyBuckets", () => {
  it("has a bucket exactly at each SLO threshold, sorted and unique", () => {
    expect(latencyBuckets(slo)).toEqual([...baseLatencyBuckets]);
    const custom = latencyBuckets({ fastSeconds: 0.3, escalatedSeconds: 20 });
    expect(custom).toContain(0.3);
    expect(custom).toContain(20);
    expect(custom).toEqual([...custom].sort((a, b) => a - b));
    expect(new Set(custom).size).toBe(custom.length);
  });

  it("refuses a fast threshold above the escalated one", () => {
    expect(() => latencyBuckets({ fastSeconds: 30, escalatedSeconds: 15 })).toThrow(
      expect.objectContaining({ reason: "invalid-config" }),
    );
  });
});

describe("createMetrics", () => {
  it("registers the pinned metrics with SLO buckets on its own registry", async () => {
    const metrics = createMetrics({ slo });
    metrics.verdictLatency.observe({ escalated: "false" }, 0.12);
    metrics.verdictLatency.observe({ escalated: "true" }, 9);
    metrics.triageLatency.observe({ outcome: "ok" }, 0.04);
    metrics.reasoningLatency.observe({ outcome: "fallback" }, 15);
    metrics.verdicts.inc({ label: "AI_GENERATED", decided_by: "TRIAGE" });
    metrics.deadLetters.inc({ reason: "invalid-json" });
    metrics.reasoningFallbacks.inc({ reason: "deadline" });
    metrics.inflightEvents.set(3);
    metrics.consumerLag.set({ topic: "mirage.uploads.v1", partition: 0 }, 42);
    const text = await metrics.registry.metrics();

    for (const name of Object.values(metricNames)) expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="0.5",escalated="false"} 1');
    expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="15",escalated="true"} 1');
    expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="5",escalated="true"} 0');
    expect(text).toContain('mirage_triage_latency_seconds_bucket{le="0.5",outcome="ok"} 1');
    expect(text).toContain('mirage_reasoning_latency_seconds_bucket{le="15",outcome="fallback"} 1');
    expect(text).toContain('mirage_verdicts_total{label="AI_GENERATED",decided_by="TRIAGE"} 1');
    expect(text).toContain('mirage_dlq_total{reason="invalid-json"} 1');
    expect(text).toContain("mirage_inflight_events 3");
    expect(text).toContain('mirage_consumer_lag{topic="mirage.uploads.v1",partition="0"} 42');
    // Node.js process metrics, unprefixed, on the same registry and not on the global one.
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
    expect(globalRegistry.getSingleMetric(metricNames.verdictLatency)).toBeUndefined();
  });

  it("builds the buckets from the configured SLO thresholds", async () => {
    const previous = { ...process.env };
    process.env.MIRAGE_SLO_FAST_SECONDS = "0.3";
    process.env.MIRAGE_SLO_ESCALATED_SECONDS = "20";
    try {
      const metrics = createMetrics({ defaultMetrics: false });
      expect(metrics.slo).toEqual({ fastSeconds: 0.3, escalatedSeconds: 20 });
      metrics.verdictLatency.observe({ escalated: "false" }, 0.2);
      const text = await metrics.registry.metrics();
      expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="0.3",escalated="false"} 1');
      expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="20",escalated="false"} 1');
      expect(text).not.toContain("process_cpu_user_seconds_total");
    } finally {
      process.env = previous;
    }
  });

  it("lets a service add its own metrics and enforces the mirage_ prefix", async () => {
    const metrics = createMetrics({ slo, defaultMetrics: false });
    const batch = metrics.createHistogram({
      name: "mirage_triage_batch_size",
      help: "Crops per batch.",
      buckets: [1, 4, 16],
    });
    batch.observe(3);
    const requests = metrics.createCounter({
      name: "mirage_fetch_total",
      help: "Fetches.",
      labelNames: ["scheme"],
    });
    requests.inc({ scheme: "file" });
    const text = await metrics.registry.metrics();
    expect(text).toContain('mirage_triage_batch_size_bucket{le="4"} 1');
    expect(text).toContain('mirage_fetch_total{scheme="file"} 1');
    expect(() => metrics.createGauge({ name: "queue_depth", help: "No prefix." })).toThrow(
      expect.objectContaining({ reason: "invalid-metric-name" }),
    );
    expect(() => metrics.createCounter({ name: "mirage_fetch_total", help: "Again." })).toThrow(
      expect.objectContaining({ reason: "metric-already-registered" }),
    );
  });

  it("uses SLO buckets for a service's own latency histogram by default", async () => {
    const factory = createMetricFactory(new Registry(), { fastSeconds: 0.25, escalatedSeconds: 12 });
    factory.createHistogram({ name: "mirage_fetch_latency_seconds", help: "Fetch seconds." }).observe(0.2);
    const text = await factory.registry.metrics();
    expect(text).toContain('mirage_fetch_latency_seconds_bucket{le="0.25"} 1');
    expect(text).toContain('mirage_fetch_latency_seconds_bucket{le="12"} 1');
  });
});

describe("createWorkerMetrics", () => {
  it("registers the GPU worker metrics: queue wait up to 30 s, depth, in flight, drops, batch sizes, provider", async () => {
    const metrics = createMetrics({ slo, defaultMetrics: false });
    const worker = createWorkerMetrics(metrics);
    worker.queueWait.observe(0);
    worker.queueWait.observe(12);
    worker.queueDepth.set(3);
    worker.inflight.set(1);
    worker.queueDropped.inc({ reason: "full" });
    worker.batchCrops.observe(48);
    worker.executionProvider.set({ model: "triage-v1", provider: "cpu", requested: "cuda,cpu" }, 1);
    const text = await metrics.registry.metrics();

    for (const name of Object.values(workerMetricNames)) expect(text).toContain(`# TYPE ${name} `);
    expect(queueWaitBuckets.at(-1)).toBe(30);
    expect(queueWaitBuckets).toContain(slo.escalatedSeconds);
    expect(text).toContain('mirage_reasoning_queue_wait_seconds_bucket{le="0.001"} 1');
    expect(text).toContain('mirage_reasoning_queue_wait_seconds_bucket{le="10"} 1');
    expect(text).toContain('mirage_reasoning_queue_wait_seconds_bucket{le="15"} 2');
    expect(text).toContain('mirage_reasoning_queue_wait_seconds_bucket{le="30"} 2');
    expect(text).toContain("mirage_reasoning_queue_depth 3");
    expect(text).toContain("mirage_reasoning_inflight 1");
    expect(text).toContain('mirage_reasoning_queue_dropped_total{reason="full"} 1');
    expect(text).toContain('mirage_model_batch_crops_bucket{le="32"} 0');
    expect(text).toContain('mirage_model_batch_crops_bucket{le="48"} 1');
    expect(text).toContain(
      'mirage_model_execution_provider{model="triage-v1",provider="cpu",requested="cuda,cpu"} 1',
    );
    // The pinned metrics are still there, untouched.
    for (const name of Object.values(metricNames)) expect(text).toContain(`# TYPE ${name} `);
  });
});
