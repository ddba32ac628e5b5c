import { context as contextApi, isSpanContextValid, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Context, Span, SpanOptions, Tracer } from "@opentelemetry/api";
import { isMirageError } from "@mirage/errors";

/** Options of {@link withSpan}: the usual span options plus an explicit parent context. */
export interface WithSpanOptions extends SpanOptions {
  /**
   * The context to start the span in; default the active one. Pass the context extracted from a
   * Kafka message or gRPC metadata to continue that trace.
   */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span and ends the span when `fn` settles. A thrown error is
 * recorded as an exception event, sets the span status to ERROR (with the MirageError code and
 * reason as attributes) and is rethrown unchanged. Success leaves the status UNSET, as the
 * OpenTelemetry spec asks of instrumentation.
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  options: WithSpanOptions,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const { parent, ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent ?? contextApi.active(), async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Marks a span as failed by `error`: an exception event, status ERROR with the message, and for a
 * MirageError the attributes `error.type` (its code) and `mirage.error.reason`. For code that
 * manages its spans by hand (streams, consumers).
 */
export function recordSpanError(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : String(error);
  span.recordException(exception);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  if (isMirageError(error)) {
    span.setAttributes({ "error.type": error.code, "mirage.error.reason": error.reason });
  } else {
    span.setAttribute("error.type", error instanceof Error ? error.name : typeof error);
  }
}

/** The trace id (32 hex characters) of the span active in `context`, or undefined when none is. */
export function currentTraceId(context: Context = contextApi.active()): string | undefined {
  const spanContext = trace.getSpanContext(context);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
