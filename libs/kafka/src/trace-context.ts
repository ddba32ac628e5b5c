/**
 * W3C trace context in Kafka headers, through @opentelemetry/api's propagation API, so one trace
 * follows an event across topics. Whatever propagator the service's SDK registered (W3C
 * `traceparent`/`tracestate` by default) decides the header names; without an SDK both are no-ops.
 */
import {
  ROOT_CONTEXT,
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";

const headerSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const headerGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/**
 * Writes the trace context of `ctx` (default: the active context) into `headers` (default: a new
 * object) and returns them. A header already present is overwritten only when the propagator writes it.
 */
export function injectTraceHeaders(
  ctx: Context = context.active(),
  headers: Record<string, string> = {},
): Record<string, string> {
  propagation.inject(ctx, headers, headerSetter);
  return headers;
}

/**
 * The context carried by `headers`, on top of `base`. The default base is the root context, not the
 * active one: each consumed message starts its own trace (or continues its producer's), never the
 * trace of whatever happened to be active in the fetch loop.
 */
export function extractTraceContext(
  headers: Readonly<Record<string, string>>,
  base: Context = ROOT_CONTEXT,
): Context {
  return propagation.extract(base, headers, headerGetter);
}
