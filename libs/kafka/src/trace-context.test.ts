import { ROOT_CONTEXT, propagation, trace, type SpanContext, TraceFlags } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractTraceContext, injectTraceHeaders } from "./trace-context.js";

const parent: SpanContext = {
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  traceFlags: TraceFlags.SAMPLED,
};

describe("trace context in Kafka headers", () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it("writes a W3C traceparent and reads it back", () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, parent);
    const headers = injectTraceHeaders(ctx, { "content-type": "application/json" });
    expect(headers).toEqual({
      "content-type": "application/json",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    });
    const extracted = trace.getSpanContext(extractTraceContext(headers));
    expect(extracted).toMatchObject({ ...parent, isRemote: true });
  });

  it("extracts nothing from headers without trace context, and injects nothing without a span", () => {
    expect(trace.getSpanContext(extractTraceContext({ "content-type": "x" }))).toBeUndefined();
    expect(injectTraceHeaders(ROOT_CONTEXT)).toEqual({});
  });
});
