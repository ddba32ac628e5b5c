import type * as grpc from "@grpc/grpc-js";
import {
  ROOT_CONTEXT,
  propagation,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from "@opentelemetry/api";

/** The instrumentation scope of the spans this package creates. */
export const tracerName = "@mirage/grpc";

/** The tracer of this package; a no-op until a service registers an OpenTelemetry SDK. */
export function grpcTracer(): Tracer {
  return trace.getTracer(tracerName);
}

/** Writes propagation fields (W3C `traceparent`, `tracestate`, baggage) into gRPC metadata. */
export const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/** Reads propagation fields from gRPC metadata (text values only; `-bin` keys are not trace context). */
export const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
  get(carrier, key) {
    const values = carrier.get(key).filter((v): v is string => typeof v === "string");
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values;
  },
};

/** Injects `ctx` (by default the active context) into `metadata` with the global propagator. */
export function injectTraceContext(metadata: grpc.Metadata, ctx: Context): void {
  propagation.inject(ctx, metadata, metadataSetter);
}

/** The context a server call continues: extracted from its metadata, on top of the root context. */
export function extractTraceContext(metadata: grpc.Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
}
