import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino } from "pino";
import type { DestinationStream, Logger as PinoLogger } from "pino";
import { readLogLevel } from "./config.js";
import type { LogLevel } from "./config.js";

/** A JSON logger (pino) whose lines carry the active span's `traceId` and `spanId`. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The service (or tool) name written as `service` on every line. */
  service: string;
  /** Minimum level; default `LOG_LEVEL`, else "info". */
  level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read lines back. */
  destination?: DestinationStream;
  /** Extra fields on every line (`{ component: "kafka" }`). */
  bindings?: Record<string, string | number | boolean>;
}

/**
 * Creates a JSON-lines logger on stdout. Every line has `level` as a word, an ISO `time`,
 * `service`, and — when a span is active — its `traceId` and `spanId`, so that logs and traces of
 * one event can be joined.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? readLogLevel(),
      base: { service: options.service, pid: process.pid, ...options.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level as a word ("warn", not 40): log pipelines and people both read it without a table.
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The active span's ids, or nothing when no (valid) span is active. */
function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const context = span.spanContext();
  if (!isSpanContextValid(context)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}
