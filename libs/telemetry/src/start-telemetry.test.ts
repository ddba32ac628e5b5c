import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { MirageError } from "@mirage/errors";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { currentTraceId, readSpansFile, startTelemetry, withSpan } from "./index.js";

describe("startTelemetry", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirage-telemetry-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("records parent/child links and one trace id across an injected and extracted context", async () => {
    const file = join(dir, "spans.jsonl");
    const telemetry = startTelemetry({ serviceName: "gateway", env: { MIRAGE_SPANS_FILE: file } });
    expect(telemetry.exporters).toEqual([`file ${file}`]);
    const tracer = trace.getTracer("test");
    const carrier: Record<string, string> = {};
    const ids = await withSpan(tracer, "consume", { kind: SpanKind.CONSUMER }, (consume) =>
      withSpan(tracer, "classify", { kind: SpanKind.CLIENT }, (call) => {
        propagation.inject(context.active(), carrier);
        return {
          traceId: consume.spanContext().traceId,
          consume: consume.spanContext().spanId,
          call: call.spanContext().spanId,
        };
      }),
    );
    // The receiving side: a fresh root context, only the carrier crosses over (as gRPC metadata would).
    const remote = propagation.extract(ROOT_CONTEXT, carrier);
    const served = await withSpan(tracer, "serve", { kind: SpanKind.SERVER, parent: remote }, (span) => ({
      traceId: currentTraceId(),
      spanId: span.spanContext().spanId,
    }));
    await telemetry.shutdown();

    expect(carrier.traceparent).toBe(`00-${ids.traceId}-${ids.call}-01`);
    expect(served.traceId).toBe(ids.traceId);
    const spans = await readSpansFile(file);
    const byName = new Map(spans.map((span) => [span.name, span]));
    expect(spans).toHaveLength(3);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([ids.traceId]));
    expect(byName.get("consume")).toMatchObject({
      parentSpanId: null,
      kind: "CONSUMER",
      "service.name": "gateway",
    });
    expect(byName.get("classify")).toMatchObject({ parentSpanId: ids.consume, kind: "CLIENT" });
    expect(byName.get("serve")).toMatchObject({
      spanId: served.spanId,
      parentSpanId: ids.call,
      kind: "SERVER",
    });
  });

  // Regression: the SDK's SimpleSpanProcessor.shutdown() shut the exporter down while exports were
  // still waiting for async resource attributes (host.id), so the last spans never reached the file.
  it("flushes spans that ended right before shutdown", async () => {
    const file = join(dir, "spans.jsonl");
    const telemetry = startTelemetry({ serviceName: "triage", env: { MIRAGE_SPANS_FILE: file } });
    trace.getTracer("test").startSpan("last").end();
    await telemetry.shutdown();
    expect((await readSpansFile(file)).map((span) => span.name)).toEqual(["last"]);
  });

  it("records a thrown error on the span and rethrows it unchanged", async () => {
    const file = join(dir, "spans.jsonl");
    const telemetry = startTelemetry({ serviceName: "reasoning", env: { MIRAGE_SPANS_FILE: file } });
    const error = new MirageError("DEADLINE_EXCEEDED", "analysis took too long", {
      reason: "reasoning-deadline",
    });
    await expect(
      withSpan(trace.getTracer("test"), "analyze", {}, () => {
        throw error;
      }),
    ).rejects.toBe(error);
    await telemetry.shutdown();
    const [span] = await readSpansFile(file);
    expect(span?.status).toEqual({ code: "ERROR", message: "analysis took too long" });
    expect(span?.attributes).toMatchObject({
      "error.type": "DEADLINE_EXCEEDED",
      "mirage.error.reason": "reasoning-deadline",
    });
    expect(span?.events.map((event) => event.name)).toEqual(["exception"]);
    expect(span?.events[0]?.attributes["exception.message"]).toBe("analysis took too long");
  });

  it("gives spans real trace ids with no exporter configured", async () => {
    const telemetry = startTelemetry({ serviceName: "gateway", env: {} });
    expect(telemetry.exporters).toEqual([]);
    const traceId = await withSpan(trace.getTracer("test"), "op", {}, () => currentTraceId());
    await telemetry.shutdown();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe("0".repeat(32));
    expect(currentTraceId()).toBeUndefined();
  });

  it("refuses a second start until the first is shut down", async () => {
    const first = startTelemetry({ serviceName: "gateway", env: {} });
    expect(() => startTelemetry({ serviceName: "gateway", env: {} })).toThrow(
      expect.objectContaining({ reason: "telemetry-already-started" }),
    );
    await first.shutdown();
    await first.shutdown();
    await startTelemetry({ serviceName: "gateway", env: {} }).shutdown();
  });

  it("still flushes the spans file and stops when the collector refuses spans, then reports it", async () => {
    const file = join(dir, "spans.jsonl");
    // 400 is not retried by the OTLP exporter (a refused connection is, for seconds).
    const refusing = createServer((_request, response) => response.writeHead(400).end("bad request"));
    refusing.listen(0, "127.0.0.1");
    await once(refusing, "listening");
    const port = (refusing.address() as AddressInfo).port;
    try {
      const telemetry = startTelemetry({
        serviceName: "gateway",
        env: {
          MIRAGE_SPANS_FILE: file,
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
        },
      });
      trace.getTracer("test").startSpan("verdict").end();
      await expect(telemetry.shutdown()).rejects.toMatchObject({
        code: "UNAVAILABLE",
        reason: "span-export-failed",
      });
      expect((await readSpansFile(file)).map((span) => span.name)).toEqual(["verdict"]);
      // Fully stopped: a new start is allowed.
      await startTelemetry({ serviceName: "gateway", env: {} }).shutdown();
    } finally {
      refusing.closeAllConnections();
      refusing.close();
    }
  });

  it("exports spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces", async () => {
    const requests: { url: string | undefined; body: string }[] = [];
    const collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        requests.push({ url: request.url, body: Buffer.concat(chunks).toString("utf8") });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    collector.listen(0, "127.0.0.1");
    await once(collector, "listening");
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
    try {
      const telemetry = startTelemetry({
        serviceName: "gateway",
        serviceVersion: "1.2.3",
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      });
      expect(telemetry.exporters).toEqual([`otlp ${endpoint}v1/traces`]);
      const traceId = await withSpan(trace.getTracer("test"), "produce-verdict", {}, () => currentTraceId());
      await telemetry.shutdown();
      expect(requests.map((request) => request.url)).toEqual(["/v1/traces"]);
      const body = requests[0]?.body ?? "";
      expect(body).toContain("produce-verdict");
      expect(body).toContain(traceId);
      expect(body).toContain("1.2.3");
    } finally {
      collector.close();
    }
  });
});
