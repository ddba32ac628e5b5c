import { envNumber, readEnv } from "@mirage/config";
import { MirageError } from "@mirage/errors";
import { z } from "zod";

/** The log levels `LOG_LEVEL` accepts, most severe first ("silent" turns logging off). */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link logLevels}. */
export type LogLevel = (typeof logLevels)[number];

/** SLO thresholds in seconds (DESIGN.md "SLOs"); latency histograms get a bucket exactly at each. */
export interface SloThresholds {
  /** Verdicts decided without escalation: 99% within this many seconds (default 0.5). */
  readonly fastSeconds: number;
  /** Escalated verdicts: 99% within this many seconds (default 15). */
  readonly escalatedSeconds: number;
}

/** Where finished spans go, read from the environment. */
export interface TracingConfig {
  /** Full OTLP/HTTP traces URL (…/v1/traces), or undefined when no collector is configured. */
  readonly otlpTracesUrl: string | undefined;
  /** JSON-lines file that every finished span is appended to, or undefined. */
  readonly spansFile: string | undefined;
}

const httpUrl = z.url({ protocol: /^https?$/ }).optional();
const tracingSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl,
  MIRAGE_SPANS_FILE: z.string().optional(),
});

/**
 * Reads the tracing configuration. As in the OpenTelemetry spec, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * is used as is, while OTEL_EXPORTER_OTLP_ENDPOINT is a base URL that gets `/v1/traces` appended.
 */
export function readTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const config = readEnv(tracingSchema, blankToUndefined(env, Object.keys(tracingSchema.shape)));
  let otlpTracesUrl = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (otlpTracesUrl === undefined && config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) {
    otlpTracesUrl = `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  }
  return { otlpTracesUrl, spansFile: config.MIRAGE_SPANS_FILE };
}

const logSchema = z.object({ LOG_LEVEL: z.enum(logLevels).default("info") });

/** Reads `LOG_LEVEL` (default "info"). */
export function readLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return readEnv(logSchema, blankToUndefined(env, ["LOG_LEVEL"])).LOG_LEVEL;
}

const sloSchema = z.object({
  MIRAGE_SLO_FAST_SECONDS: envNumber(0.5, Number.MIN_VALUE),
  MIRAGE_SLO_ESCALATED_SECONDS: envNumber(15, Number.MIN_VALUE),
});

/** Reads `MIRAGE_SLO_FAST_SECONDS` (default 0.5) and `MIRAGE_SLO_ESCALATED_SECONDS` (default 15). */
export function readSloThresholds(env: NodeJS.ProcessEnv = process.env): SloThresholds {
  const config = readEnv(sloSchema, blankToUndefined(env, Object.keys(sloSchema.shape)));
  const slo = {
    fastSeconds: config.MIRAGE_SLO_FAST_SECONDS,
    escalatedSeconds: config.MIRAGE_SLO_ESCALATED_SECONDS,
  };
  assertSloThresholds(slo);
  return slo;
}

/** Throws unless both thresholds are finite, positive and the fast one is not above the escalated one. */
export function assertSloThresholds(slo: SloThresholds): void {
  const valid = (s: number) => Number.isFinite(s) && s > 0;
  if (!valid(slo.fastSeconds) || !valid(slo.escalatedSeconds) || slo.fastSeconds > slo.escalatedSeconds) {
    throw new MirageError(
      "FAILED_PRECONDITION",
      `invalid SLO thresholds: MIRAGE_SLO_FAST_SECONDS=${slo.fastSeconds} must be positive and at most MIRAGE_SLO_ESCALATED_SECONDS=${slo.escalatedSeconds}`,
      {
        reason: "invalid-config",
        details: { fastSeconds: slo.fastSeconds, escalatedSeconds: slo.escalatedSeconds },
      },
    );
  }
}

/**
 * A copy of the named variables where blank values count as unset: `MIRAGE_SPANS_FILE=` in a shell
 * or compose file means "off", not "a file with an empty name".
 */
function blankToUndefined(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  const picked: NodeJS.ProcessEnv = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") picked[name] = value;
  }
  return picked;
}
