import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { SpanKind, context, propagation, trace } from "@opentelemetry/api";
import { ReasoningService, TriageService } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGrpcClient, createGrpcServer, tracerName, type GrpcServer } from "./index.js";

// What a service's telemetry start-up registers; this file runs in its own process (vitest forks).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

describe("trace context across gRPC", () => {
  let server: GrpcServer;
  let address = "";
  // The trace the handler saw as active, per call.
  const seenByHandler: { traceId: string; spanId: string }[] = [];

  beforeAll(async () => {
    const record = () => {
      const span = trace.getActiveSpan();
      if (span !== undefined)
        seenByHandler.push({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId });
    };
    server = createGrpcServer({
      services: [
        {
          service: TriageService,
          implementation: {
            classify: async (req) => {
              // An await before looking: the context must survive asynchronous hops in the handler.
              await new Promise((resolve) => setTimeout(resolve, 5));
              record();
              if (req.imageId === "bad")
                throw new MirageError("INTERNAL", "model crashed", { reason: "model-failed" });
              return { pAi: 0.5 };
            },
          },
        },
        {
          service: ReasoningService,
          implementation: {
            analyze: async () => ({}),
            analyzeStream: async function* () {
              yield { event: { case: "step", value: { text: "one" } } };
              await new Promise((resolve) => setTimeout(resolve, 5));
              record();
              yield { event: { case: "verdict", value: { eventId: "e-1" } } };
            },
          },
        },
      ],
    });
    address = `127.0.0.1:${await server.bind("127.0.0.1:0")}`;
  });

  afterAll(async () => {
    await server.shutdown(1000);
    await provider.shutdown();
  });

  beforeEach(() => {
    exporter.reset();
    seenByHandler.length = 0;
  });

  const tracer = trace.getTracer("test");

  it("continues the caller's trace: parent → CLIENT span → SERVER span → handler", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      const parentContext = await tracer.startActiveSpan("consume", async (parent) => {
        await triage.call("classify", { imageId: "good" });
        parent.end();
        return parent.spanContext();
      });
      const spans = exporter.getFinishedSpans();
      const client = spans.find((s) => s.kind === SpanKind.CLIENT);
      const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER);
      expect(client?.name).toBe("mirage.v1.TriageService/Classify");
      expect(client?.instrumentationScope.name).toBe(tracerName);
      expect(serverSpan?.name).toBe("mirage.v1.TriageService/Classify");
      expect(client?.spanContext().traceId).toBe(parentContext.traceId);
      expect(client?.parentSpanContext?.spanId).toBe(parentContext.spanId);
      expect(serverSpan?.spanContext().traceId).toBe(parentContext.traceId);
      expect(serverSpan?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
      expect(serverSpan?.attributes).toMatchObject({
        "rpc.system": "grpc",
        "rpc.method": "Classify",
        "rpc.grpc.status_code": 0,
      });
      expect(seenByHandler).toEqual([
        { traceId: parentContext.traceId, spanId: serverSpan?.spanContext().spanId },
      ]);
    } finally {
      triage.close();
    }
  });

  it("keeps the trace through a server stream and records failures on both spans", async () => {
    const reasoning = createGrpcClient(ReasoningService, address);
    const triage = createGrpcClient(TriageService, address);
    try {
      const traceId = await tracer.startActiveSpan("consume", async (parent) => {
        const events: string[] = [];
        for await (const message of reasoning.stream("analyzeStream", {}))
          events.push(message.event.case ?? "");
        expect(events).toEqual(["step", "verdict"]);
        await expect(triage.call("classify", { imageId: "bad" })).rejects.toMatchObject({
          reason: "model-failed",
        });
        parent.end();
        return parent.spanContext().traceId;
      });
      const spans = exporter.getFinishedSpans();
      expect(spans.filter((s) => s.spanContext().traceId === traceId)).toHaveLength(5);
      expect(seenByHandler.map((c) => c.traceId)).toEqual([traceId, traceId]);
      const failed = spans.filter((s) => s.name === "mirage.v1.TriageService/Classify");
      expect(
        failed.map((s) => [
          s.kind,
          s.status.code,
          s.attributes["rpc.grpc.status_code"],
          s.attributes["mirage.error.reason"],
        ]),
      ).toEqual(
        expect.arrayContaining([
          [SpanKind.SERVER, 2, 13, "model-failed"],
          [SpanKind.CLIENT, 2, 13, "model-failed"],
        ]),
      );
    } finally {
      reasoning.close();
      triage.close();
    }
  });

  it("starts the trace at the CLIENT span when the caller has none, and the server joins it", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      await triage.call("classify", { imageId: "good" });
      const [client, serverSpan] = [SpanKind.CLIENT, SpanKind.SERVER].map((kind) =>
        exporter.getFinishedSpans().find((s) => s.kind === kind),
      );
      expect(client?.parentSpanContext).toBeUndefined();
      expect(serverSpan?.spanContext().traceId).toBe(client?.spanContext().traceId);
    } finally {
      triage.close();
    }
  });
});
