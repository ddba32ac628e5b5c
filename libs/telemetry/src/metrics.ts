import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { MirageError } from "@mirage/errors";
import { assertSloThresholds, readSloThresholds } from "./config.js";
import type { SloThresholds } from "./config.js";

/** The pinned metric names (DESIGN.md "Services"); dashboards and alerts depend on them. */
export const metricNames = {
  verdictLatency: "mirage_verdict_latency_seconds",
  triageLatency: "mirage_triage_latency_seconds",
  reasoningLatency: "mirage_reasoning_latency_seconds",
  verdicts: "mirage_verdicts_total",
  deadLetters: "mirage_dlq_total",
  inflightEvents: "mirage_inflight_events",
  reasoningFallbacks: "mirage_reasoning_fallback_total",
  consumerLag: "mirage_consumer_lag",
} as const;

/**
 * Latency buckets in seconds before the SLO thresholds are added: fine below the 0.5 s fast-path
 * SLO, coarse up to a minute for escalated work.
 */
export const baseLatencyBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60,
];

/**
 * The latency buckets: `base` plus a bucket exactly at each SLO threshold, sorted and without
 * duplicates, so that "share of verdicts within the SLO" is an exact bucket ratio, not an estimate.
 */
export function latencyBuckets(slo: SloThresholds, base: readonly number[] = baseLatencyBuckets): number[] {
  assertSloThresholds(slo);
  return [...new Set([...base, slo.fastSeconds, slo.escalatedSeconds])].sort((a, b) => a - b);
}

/** The metrics every service registers (DESIGN.md "Services"), under {@link metricNames}. */
export interface PinnedMetrics {
  /**
   * Consume → verdict produced, seconds; label `escalated` "true" | "false" (the two SLOs). Kept
   * to one label on purpose: the SLO queries need no more and each label value multiplies series.
   */
  readonly verdictLatency: Histogram<"escalated">;
  /** One Classify call, seconds; label `outcome` "ok" | "error". */
  readonly triageLatency: Histogram<"outcome">;
  /**
   * One Analyze call, seconds; label `outcome` "ok" | "error" | "fallback" (gateway), and on the
   * reasoning service also "rejected" (bad image), "overloaded" (queue full), "abandoned" (caller gone).
   */
  readonly reasoningLatency: Histogram<"outcome">;
  /** Verdicts produced, by `label` (AI_GENERATED | REAL | NEEDS_REVIEW) and `decided_by`. */
  readonly verdicts: Counter<"label" | "decided_by">;
  /** Dead letters produced, by `reason` (the MirageError reason, a closed kebab-case set). */
  readonly deadLetters: Counter<"reason">;
  /** Events consumed whose verdict or dead letter is not produced yet. */
  readonly inflightEvents: Gauge;
  /** Escalations answered by the fallback, by `reason` (deadline, unavailable, circuit-open, …). */
  readonly reasoningFallbacks: Counter<"reason">;
  /** Messages behind the high watermark, by `topic` and `partition` (set by the consumer). */
  readonly consumerLag: Gauge<"topic" | "partition">;
}

/** The pinned metrics, registered on `registry`, with latency buckets at the SLO thresholds. */
export function pinnedMetrics(registry: Registry, slo: SloThresholds): PinnedMetrics {
  const factory = createMetricFactory(registry, slo);
  return {
    verdictLatency: factory.createHistogram({
      name: metricNames.verdictLatency,
      help: "Seconds from consuming an upload event to producing its verdict.",
      labelNames: ["escalated"],
    }),
    triageLatency: factory.createHistogram({
      name: metricNames.triageLatency,
      help: "Seconds of one triage Classify call.",
      labelNames: ["outcome"],
    }),
    reasoningLatency: factory.createHistogram({
      name: metricNames.reasoningLatency,
      help: "Seconds of one reasoning Analyze call.",
      labelNames: ["outcome"],
    }),
    verdicts: factory.createCounter({
      name: metricNames.verdicts,
      help: "Verdicts produced, by label and by the stage that decided.",
      labelNames: ["label", "decided_by"],
    }),
    deadLetters: factory.createCounter({
      name: metricNames.deadLetters,
      help: "Upload events sent to the dead-letter topic, by reason.",
      labelNames: ["reason"],
    }),
    inflightEvents: factory.createGauge({
      name: metricNames.inflightEvents,
      help: "Upload events consumed whose verdict or dead letter is not produced yet.",
    }),
    reasoningFallbacks: factory.createCounter({
      name: metricNames.reasoningFallbacks,
      help: "Escalated events answered by the fallback verdict instead of reasoning, by reason.",
      labelNames: ["reason"],
    }),
    consumerLag: factory.createGauge({
      name: metricNames.consumerLag,
      help: "Messages between the committed offset and the high watermark, by topic and partition.",
      labelNames: ["topic", "partition"],
    }),
  };
}

/**
 * Metric names of the GPU workers (the reasoning service and the pixel model it runs). Autoscaling
 * follows the queue: `mirage_reasoning_queue_wait_seconds` (p90) or `mirage_reasoning_queue_depth`
 * per replica.
 */
export const workerMetricNames = {
  queueWait: "mirage_reasoning_queue_wait_seconds",
  queueDepth: "mirage_reasoning_queue_depth",
  inflight: "mirage_reasoning_inflight",
  queueDropped: "mirage_reasoning_queue_dropped_total",
  batchCrops: "mirage_model_batch_crops",
  executionProvider: "mirage_model_execution_provider",
} as const;

/**
 * Queue-wait buckets in seconds: fine where a healthy queue sits (0–1 s), then steps up to the
 * 30 s a caller might hold on for, with a bucket at the 15 s escalated SLO.
 */
export const queueWaitBuckets: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30,
];

/** Crops-per-inference buckets (the micro-batch of the pixel model; 64 is the reasoning default). */
export const batchCropsBuckets: readonly number[] = [1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 256];

/** The metrics of a GPU worker, under {@link workerMetricNames}. */
export interface WorkerMetrics {
  /**
   * Seconds each call waited for an examination permit (0 when one was free), admitted or
   * abandoned by its caller; calls refused for a full queue are not in it (see `queueDropped`).
   */
  readonly queueWait: Histogram;
  /** Calls waiting for a permit now. */
  readonly queueDepth: Gauge;
  /** Examinations running now. */
  readonly inflight: Gauge;
  /** Calls that left without running, by `reason`: `full` (refused, RESOURCE_EXHAUSTED) or `abandoned` (caller gave up while queued). */
  readonly queueDropped: Counter<"reason">;
  /** Crops per pixel-model inference: how well micro-batching merges concurrent calls. */
  readonly batchCrops: Histogram;
  /**
   * 1 for the execution provider the pixel model runs on (`provider`), with the `model` version and
   * the `requested` list: `provider="cpu", requested="cuda,cpu"` is a GPU worker running on CPU.
   */
  readonly executionProvider: Gauge<"model" | "provider" | "requested">;
}

/** Registers the GPU worker metrics through `factory` (a service's {@link Metrics} is one). */
export function createWorkerMetrics(factory: MetricFactory): WorkerMetrics {
  return {
    queueWait: factory.createHistogram({
      name: workerMetricNames.queueWait,
      help: "Seconds a reasoning call waited for an examination permit (0 when one was free).",
      buckets: queueWaitBuckets,
    }),
    queueDepth: factory.createGauge({
      name: workerMetricNames.queueDepth,
      help: "Reasoning calls waiting for an examination permit.",
    }),
    inflight: factory.createGauge({
      name: workerMetricNames.inflight,
      help: "Reasoning examinations running.",
    }),
    queueDropped: factory.createCounter({
      name: workerMetricNames.queueDropped,
      help: "Reasoning calls that left the queue without running, by reason (full, abandoned).",
      labelNames: ["reason"],
    }),
    batchCrops: factory.createHistogram({
      name: workerMetricNames.batchCrops,
      help: "Crops per pixel-model inference (micro-batches merge concurrent calls).",
      buckets: batchCropsBuckets,
    }),
    executionProvider: factory.createGauge({
      name: workerMetricNames.executionProvider,
      help: "1 for the onnxruntime execution provider the pixel model runs on, with the list requested.",
      labelNames: ["model", "provider", "requested"],
    }),
  };
}

/** What every metric factory call takes. */
export interface MetricConfig<L extends string> {
  /** Must start with `mirage_` (DESIGN.md), snake_case; `_seconds` / `_total` suffixes as usual. */
  name: string;
  /** One sentence for `# HELP`. */
  help: string;
  /** Label names; keep their values to small closed sets. */
  labelNames?: readonly L[];
}

/** A histogram's config; buckets default to the SLO latency buckets. */
export interface HistogramConfig<L extends string> extends MetricConfig<L> {
  /** Bucket upper bounds; default {@link latencyBuckets} (seconds, with the SLO thresholds). */
  buckets?: readonly number[];
}

/** Creates service-specific metrics on one registry, with the project's naming rule enforced. */
export interface MetricFactory {
  /** The registry every metric of this factory lands on. */
  readonly registry: Registry;
  /** A histogram; seconds with SLO buckets unless `buckets` is given. */
  createHistogram<L extends string = never>(config: HistogramConfig<L>): Histogram<L>;
  /** A counter (name it `…_total`). */
  createCounter<L extends string = never>(config: MetricConfig<L>): Counter<L>;
  /** A gauge. */
  createGauge<L extends string = never>(config: MetricConfig<L>): Gauge<L>;
}

const metricNamePattern = /^mirage_[a-z0-9]+(?:_[a-z0-9]+)*$/;

/** A {@link MetricFactory} bound to `registry`, whose default histogram buckets come from `slo`. */
export function createMetricFactory(registry: Registry, slo: SloThresholds): MetricFactory {
  const buckets = latencyBuckets(slo);
  const check = (name: string) => {
    if (!metricNamePattern.test(name)) {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `metric name ${name} must be snake_case starting with mirage_`,
        {
          reason: "invalid-metric-name",
          details: { name },
        },
      );
    }
    if (registry.getSingleMetric(name) !== undefined) {
      throw new MirageError("FAILED_PRECONDITION", `metric ${name} is already registered on this registry`, {
        reason: "metric-already-registered",
        details: { name },
      });
    }
  };
  return {
    registry,
    createHistogram<L extends string = never>(config: HistogramConfig<L>) {
      check(config.name);
      return new Histogram<L>({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        buckets: [...(config.buckets ?? buckets)],
        registers: [registry],
      });
    },
    createCounter<L extends string = never>(config: MetricConfig<L>) {
      check(config.name);
      return new Counter<L>({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        registers: [registry],
      });
    },
    createGauge<L extends string = never>(config: MetricConfig<L>) {
      check(config.name);
      return new Gauge<L>({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        registers: [registry],
      });
    },
  };
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The registry to use; default a new one (never prom-client's global registry). */
  registry?: Registry;
  /** SLO thresholds; default from `MIRAGE_SLO_FAST_SECONDS` / `MIRAGE_SLO_ESCALATED_SECONDS`. */
  slo?: SloThresholds;
  /** Also collect Node.js process metrics (CPU, memory, event loop lag, GC), unprefixed; default true. */
  defaultMetrics?: boolean;
}

/** A service's metrics: the pinned set, a factory for its own, and the registry to serve. */
export interface Metrics extends PinnedMetrics, MetricFactory {
  /** The SLO thresholds the latency buckets were built with. */
  readonly slo: SloThresholds;
}

/**
 * Creates a service's metrics registry with the pinned metrics (and by default the Node.js process
 * metrics) on it. Serve `metrics.registry` with `startOpsServer`.
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const slo = options.slo ?? readSloThresholds();
  const factory = createMetricFactory(registry, slo);
  const pinned = pinnedMetrics(registry, slo);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return { ...pinned, ...factory, slo };
}
