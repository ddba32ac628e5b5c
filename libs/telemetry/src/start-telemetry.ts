import { createRequire } from "node:module";
import { context, diag, DiagLogLevel, propagation, trace } from "@opentelemetry/api";
import type { DiagLogger } from "@opentelemetry/api";
import type * as Core from "@opentelemetry/core";
import type * as OtlpHttp from "@opentelemetry/exporter-trace-otlp-http";
import type * as Resources from "@opentelemetry/resources";
import type * as SdkNode from "@opentelemetry/sdk-node";
import type * as SdkTraceBase from "@opentelemetry/sdk-trace-base";
import type * as SemanticConventions from "@opentelemetry/semantic-conventions";
import { MirageError } from "@mirage/errors";
import { readTracingConfig } from "./config.js";
import { createLogger } from "./logger.js";
import type { Logger } from "./logger.js";
import { SpansFileExporter } from "./spans-file-exporter.js";

// The SDK packages take about a second to load. Libraries import this package for withSpan and
// createLogger and must not pay that, so the SDK is loaded (synchronously, it is CommonJS) only
// when a service's entry file actually starts it.
const lazyRequire = createRequire(import.meta.url);

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** `service.name` of every span ("gateway", "triage", "reasoning"). */
  serviceName: string;
  /** `service.version`, when known. */
  serviceVersion?: string;
  /** Environment to read the configuration from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The running OpenTelemetry SDK of this process. */
export interface Telemetry {
  /** Where finished spans go, for a start-up log line: "otlp http://…", "file /tmp/spans.jsonl". */
  readonly exporters: readonly string[];
  /** Resolves when every span finished so far is exported; rejects (UNAVAILABLE) if an export failed. */
  forceFlush(): Promise<void>;
  /**
   * Flushes and stops the SDK and unregisters it from `@opentelemetry/api`, all of it even when an
   * exporter fails, then rejects (UNAVAILABLE, "span-export-failed") if one did; safe to call twice.
   */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/**
 * Starts the OpenTelemetry SDK: W3C trace context (and baggage) propagation, a tracer provider
 * with the service's resource, spans batched to OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, and appended to `MIRAGE_SPANS_FILE` when that is
 * set. Spans get real ids even with no exporter, since verdicts carry their trace id. Only a
 * service's entry file calls this, first; call `shutdown()` before the process exits.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (running !== undefined) {
    throw new MirageError("FAILED_PRECONDITION", "telemetry is already started in this process", {
      reason: "telemetry-already-started",
      details: { serviceName: options.serviceName },
    });
  }
  const env = options.env ?? process.env;
  const config = readTracingConfig(env);
  const { NodeSDK } = lazyRequire("@opentelemetry/sdk-node") as typeof SdkNode;
  const { BatchSpanProcessor, NoopSpanProcessor, SimpleSpanProcessor } = lazyRequire(
    "@opentelemetry/sdk-trace-base",
  ) as typeof SdkTraceBase;
  const { OTLPTraceExporter } = lazyRequire("@opentelemetry/exporter-trace-otlp-http") as typeof OtlpHttp;
  const { defaultResource, resourceFromAttributes } = lazyRequire(
    "@opentelemetry/resources",
  ) as typeof Resources;
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = lazyRequire(
    "@opentelemetry/core",
  ) as typeof Core;
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = lazyRequire(
    "@opentelemetry/semantic-conventions",
  ) as typeof SemanticConventions;

  const spanProcessors: SdkTraceBase.SpanProcessor[] = [];
  const exporters: string[] = [];
  if (config.otlpTracesUrl !== undefined) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpTracesUrl })));
    exporters.push(`otlp ${config.otlpTracesUrl}`);
  }
  if (config.spansFile !== undefined) {
    // Simple (not batched): a span reaches the file within a tick, so a process killed with -9 in
    // a fault test has written nearly everything it finished. The exporter coalesces writes itself.
    spanProcessors.push(new SimpleSpanProcessor(new SpansFileExporter(config.spansFile)));
    exporters.push(`file ${config.spansFile}`);
  }
  // NodeSDK registers no tracer provider without a span processor, and then every span would be
  // a no-op with an all-zero trace id; a no-op processor keeps real ids for verdicts and logs.
  if (spanProcessors.length === 0) spanProcessors.push(new NoopSpanProcessor());

  // Without OTEL_LOG_LEVEL the SDK's own warnings (an unreachable collector, a failed export)
  // would go nowhere; send them to our JSON log instead.
  if (env.OTEL_LOG_LEVEL === undefined) {
    const logger = createLogger({ service: options.serviceName, bindings: { component: "opentelemetry" } });
    diag.setLogger(diagToPino(logger), DiagLogLevel.WARN);
  }

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
      }),
    ),
    textMapPropagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
    spanProcessors,
    // Metrics are prom-client's job and logs are JSON lines on stdout: without these empty lists
    // the SDK would start OTLP metric and log exporters aimed at localhost:4318.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  const flush = async (): Promise<void> => {
    const results = await Promise.allSettled(spanProcessors.map((processor) => processor.forceFlush()));
    throwIfAny(results.flatMap((result) => (result.status === "rejected" ? [result.reason] : [])));
  };
  let stopping: Promise<void> | undefined;
  const telemetry: Telemetry = {
    exporters,
    forceFlush: flush,
    shutdown() {
      stopping ??= (async () => {
        const errors: unknown[] = [];
        // Flush first: the SDK's SimpleSpanProcessor shuts its exporter down without waiting for
        // exports still pending (they wait for async resource attributes such as host.id). A
        // collector that is down must not keep the other exporters from being flushed and closed.
        await flush().catch((error: unknown) => errors.push(error));
        await sdk.shutdown().catch((error: unknown) => errors.push(error));
        // Unregister the globals so that a later startTelemetry (tests) can register afresh.
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
        running = undefined;
        throwIfAny(errors);
      })();
      return stopping;
    },
  };
  running = telemetry;
  return telemetry;
}

/** Throws one MirageError for the export failures collected, if there are any. */
function throwIfAny(errors: unknown[]): void {
  if (errors.length === 0) return;
  const messages = errors.map((error) => (error instanceof Error ? error.message : String(error)));
  throw new MirageError("UNAVAILABLE", `spans could not be exported: ${messages.join("; ")}`, {
    reason: "span-export-failed",
    cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
  });
}

/** Routes OpenTelemetry's diagnostic messages into a pino logger. */
function diagToPino(logger: Logger): DiagLogger {
  const forward =
    (level: "error" | "warn" | "info" | "debug" | "trace") =>
    (message: string, ...args: unknown[]) => {
      if (args.length === 0) logger[level](message);
      else logger[level]({ args: args.map(describe) }, message);
    };
  return {
    error: forward("error"),
    warn: forward("warn"),
    info: forward("info"),
    debug: forward("debug"),
    verbose: forward("trace"),
  };
}

function describe(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
