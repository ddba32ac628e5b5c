/**
 * Traces, JSON logs, Prometheus metrics and health endpoints for every Mirage Mesh service.
 *
 * ```ts
 * // services/triage/src/main.ts — the entry file starts telemetry first.
 * import { createLogger, createMetrics, startOpsServer, startTelemetry, withSpan } from "@mirage/telemetry";
 * import { trace } from "@opentelemetry/api";
 *
 * const telemetry = startTelemetry({ serviceName: "triage" });
 * const log = createLogger({ service: "triage" });
 * const metrics = createMetrics();
 * const ops = await startOpsServer({
 *   port: 9465,
 *   registry: metrics.registry,
 *   readiness: async () => ({ ready: true, checks: { model: "loaded" } }),
 * });
 * await withSpan(trace.getTracer("triage"), "classify", {}, async () => log.info("classifying"));
 * await ops.close();
 * await telemetry.shutdown();
 * ```
 */
export { logLevels, readLogLevel, readSloThresholds, readTracingConfig } from "./config.js";
export type { LogLevel, SloThresholds, TracingConfig } from "./config.js";
export { createLogger } from "./logger.js";
export type { Logger, LoggerOptions } from "./logger.js";
export {
  baseLatencyBuckets,
  batchCropsBuckets,
  createMetricFactory,
  createMetrics,
  createWorkerMetrics,
  latencyBuckets,
  metricNames,
  pinnedMetrics,
  queueWaitBuckets,
  workerMetricNames,
} from "./metrics.js";
export type {
  HistogramConfig,
  MetricConfig,
  MetricFactory,
  Metrics,
  MetricsOptions,
  PinnedMetrics,
  WorkerMetrics,
} from "./metrics.js";
export { startOpsServer } from "./ops-server.js";
export type { OpsServer, OpsServerOptions, ReadinessReport } from "./ops-server.js";
export { currentTraceId, recordSpanError, withSpan } from "./spans.js";
export type { WithSpanOptions } from "./spans.js";
export { readSpansFile, SpansFileExporter, toSpanRecord } from "./spans-file-exporter.js";
export type { SpanRecord } from "./spans-file-exporter.js";
export { runService } from "./run-service.js";
export type { RunningService } from "./run-service.js";
export { startTelemetry } from "./start-telemetry.js";
export type { Telemetry, TelemetryOptions } from "./start-telemetry.js";
