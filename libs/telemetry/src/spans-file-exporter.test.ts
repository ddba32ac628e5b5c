import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSpansFile, SpansFileExporter } from "./index.js";

describe("SpansFileExporter", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirage-spans-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function provider(file: string) {
    const exporter = new SpansFileExporter(file);
    const tracerProvider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": "gateway" }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    return { exporter, tracer: tracerProvider.getTracer("test"), tracerProvider };
  }

  it("writes one JSON line per span with ids, kind, times, status, attributes, events and links", async () => {
    const file = join(dir, "nested", "spans.jsonl");
    const { tracer, tracerProvider } = provider(file);
    const parent = tracer.startSpan("consume", { kind: SpanKind.CONSUMER });
    const other = tracer.startSpan("other");
    const child = tracer.startSpan(
      "produce",
      {
        kind: SpanKind.PRODUCER,
        attributes: { "messaging.destination.name": "mirage.verdicts.v1", attempt: 2 },
        links: [{ context: other.spanContext() }],
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent("retry", { backoffMs: 100 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: "broker unavailable" });
    child.end();
    other.end();
    parent.end();
    await tracerProvider.shutdown();

    const spans = await readSpansFile(file);
    expect(spans.map((span) => span.name)).toEqual(["produce", "other", "consume"]);
    const [produce, , consume] = spans;
    expect(produce).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      "service.name": "gateway",
      kind: "PRODUCER",
      status: { code: "ERROR", message: "broker unavailable" },
      attributes: { "messaging.destination.name": "mirage.verdicts.v1", attempt: 2 },
      links: [{ traceId: other.spanContext().traceId, spanId: other.spanContext().spanId }],
    });
    expect(produce?.events).toEqual([
      { name: "retry", time: expect.any(String), attributes: { backoffMs: 100 } },
    ]);
    expect(consume).toMatchObject({ parentSpanId: null, kind: "CONSUMER", status: { code: "UNSET" } });
    expect(Date.parse(consume?.endTime ?? "")).toBeGreaterThanOrEqual(
      Date.parse(produce?.startTime ?? "") - 1,
    );
    expect(consume?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("reports FAILED for spans exported after shutdown", async () => {
    const exporter = new SpansFileExporter(join(dir, "spans.jsonl"));
    await exporter.shutdown();
    const result = await new Promise<ExportResult>((resolve) => exporter.export([], resolve));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toMatchObject({ reason: "exporter-shut-down" });
  });

  it("fails at construction when the file cannot be opened", async () => {
    const blocker = join(dir, "a-file");
    await writeFile(blocker, "");
    expect(() => new SpansFileExporter(join(blocker, "spans.jsonl"))).toThrow(
      expect.objectContaining({ reason: "spans-file-unwritable" }),
    );
  });
});

describe("readSpansFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirage-spans-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const line = (name: string) =>
    `${JSON.stringify({ traceId: "a".repeat(32), spanId: "b".repeat(16), parentSpanId: null, name, "service.name": "x" })}\n`;

  it("skips an incomplete last line, as a writer killed mid-write leaves it", async () => {
    const file = join(dir, "spans.jsonl");
    await writeFile(file, line("one") + line("two"));
    await appendFile(file, '{"traceId":"aaa');
    expect((await readSpansFile(file)).map((span) => span.name)).toEqual(["one", "two"]);
  });

  it("names the line that is not a span record", async () => {
    const file = join(dir, "spans.jsonl");
    await writeFile(file, `${line("one")}{"hello":"world"}\n`);
    await expect(readSpansFile(file)).rejects.toThrow(`${file}:2 is not a span record`);
  });
});
