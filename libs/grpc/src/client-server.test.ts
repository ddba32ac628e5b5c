import { create } from "@bufbuild/protobuf";
import {
  AnalysisMode,
  AnalyzeResponseSchema,
  Band,
  DecidedBy,
  Label,
  ReasoningService,
  ReasoningStage,
  TriageService,
  type AnalyzeStreamResponse,
} from "@mirage/contracts";
import { MirageError, isMirageError } from "@mirage/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcClient, createGrpcServer, type GrpcServer } from "./index.js";

// A fake classifier: pAi from the first byte, so each test controls the answer through the bytes.
function classify(content: Uint8Array) {
  const first = content[0];
  if (first === undefined) {
    throw new MirageError("INVALID_ARGUMENT", "no image bytes", {
      reason: "image-empty",
      details: { bytes: 0 },
    });
  }
  const pAi = first / 255;
  return {
    pAi,
    band: pAi > 0.8 ? Band.LIKELY_AI : pAi < 0.2 ? Band.LIKELY_REAL : Band.UNCERTAIN,
    label: pAi > 0.8 ? Label.AI_GENERATED : pAi < 0.2 ? Label.REAL : Label.NEEDS_REVIEW,
    decidedBy: DecidedBy.TRIAGE,
    evidence: [{ kind: "pixel-model", summary: `pixel model over ${content.length} bytes.`, weight: pAi }],
    modelVersion: "fake-1",
  };
}

describe("unary and server-streaming calls over loopback", () => {
  let server: GrpcServer;
  let address = "";
  const cancelledOnServer: string[] = [];

  beforeAll(async () => {
    server = createGrpcServer({
      services: [
        {
          service: TriageService,
          implementation: {
            classify: async (req, ctx) => {
              if (req.imageId === "slow") {
                // Waits for the deadline to pass: the signal says when the client gave up.
                await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
                cancelledOnServer.push(req.eventId);
              }
              if (req.imageId === "crash") throw new TypeError("boom");
              return { ...classify(req.content), mode: req.mode, timings: { totalMs: 1 } };
            },
          },
        },
        {
          service: ReasoningService,
          implementation: {
            analyze: async (req) => ({
              verdict: {
                eventId: req.eventId,
                imageId: req.imageId,
                pAi: req.triage?.pAi ?? 0,
                decidedBy: DecidedBy.REASONING,
                evidence: req.triage?.evidence ?? [],
              },
            }),
            analyzeStream: async function* (req, ctx) {
              if (req.imageId === "endless") {
                try {
                  for (let i = 0; !ctx.signal.aborted; i += 1) {
                    yield { event: { case: "step", value: { text: `step ${i}` } } };
                    await new Promise((resolve) => setTimeout(resolve, 5));
                  }
                } finally {
                  cancelledOnServer.push(req.eventId);
                }
                return;
              }
              if (req.imageId === "fail-mid") {
                yield { event: { case: "step", value: { text: "first look" } } };
                throw new MirageError("UNAVAILABLE", "the detector went away", { reason: "detector-lost" });
              }
              for (const stage of [
                ReasoningStage.HEURISTIC,
                ReasoningStage.ANALYTIC,
                ReasoningStage.CONCLUSION,
              ]) {
                yield { event: { case: "step", value: { stage, text: `stage ${stage} of ${req.imageId}` } } };
              }
              yield {
                event: { case: "verdict", value: { eventId: req.eventId, label: Label.AI_GENERATED } },
              };
            },
          },
        },
      ],
    });
    const port = await server.bind("127.0.0.1:0");
    expect(port).toBeGreaterThan(0);
    address = `127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server.shutdown(1000);
  });

  it("round-trips a unary call with typed messages", async () => {
    const triage = createGrpcClient(TriageService, address, { deadlineMs: 5000 });
    try {
      const response = await triage.call("classify", {
        eventId: "e-1",
        imageId: "img-1",
        content: new Uint8Array([230, 1, 2]),
        mode: AnalysisMode.DEEP,
      });
      expect(response.$typeName).toBe("mirage.v1.ClassifyResponse");
      expect(response.pAi).toBeCloseTo(230 / 255, 9);
      expect(response.band).toBe(Band.LIKELY_AI);
      expect(response.mode).toBe(AnalysisMode.DEEP);
      expect(response.evidence[0]?.summary).toBe("pixel model over 3 bytes.");
      expect(response.timings?.totalMs).toBe(1);
    } finally {
      triage.close();
    }
  });

  it("passes a triage result into Analyze and gets the verdict back", async () => {
    const reasoning = createGrpcClient(ReasoningService, address);
    try {
      const response = await reasoning.call("analyze", {
        eventId: "e-2",
        imageId: "img-2",
        triage: { pAi: 0.5, band: Band.UNCERTAIN },
      });
      expect(response).toEqual(
        create(AnalyzeResponseSchema, {
          verdict: { eventId: "e-2", imageId: "img-2", pAi: 0.5, decidedBy: DecidedBy.REASONING },
        }),
      );
    } finally {
      reasoning.close();
    }
  });

  it("streams the reasoning steps, then the verdict", async () => {
    const reasoning = createGrpcClient(ReasoningService, address, { deadlineMs: 5000 });
    try {
      const events: AnalyzeStreamResponse["event"][] = [];
      for await (const message of reasoning.stream("analyzeStream", { eventId: "e-3", imageId: "img-3" })) {
        events.push(message.event);
      }
      expect(events.map((e) => e.case)).toEqual(["step", "step", "step", "verdict"]);
      expect(events[1]).toMatchObject({
        case: "step",
        value: { stage: ReasoningStage.ANALYTIC, text: "stage 2 of img-3" },
      });
      expect(events[3]).toMatchObject({
        case: "verdict",
        value: { eventId: "e-3", label: Label.AI_GENERATED },
      });
    } finally {
      reasoning.close();
    }
  });

  it("ends a stream with the handler's error after the messages already sent", async () => {
    const reasoning = createGrpcClient(ReasoningService, address, { retry: { maxAttempts: 1 } });
    try {
      const received: string[] = [];
      const failure = await (async () => {
        for await (const message of reasoning.stream("analyzeStream", { imageId: "fail-mid" })) {
          received.push(message.event.case ?? "");
        }
      })().catch((e: unknown) => e);
      expect(received).toEqual(["step"]);
      expect(failure).toMatchObject({ code: "UNAVAILABLE", reason: "detector-lost" });
    } finally {
      reasoning.close();
    }
  });

  it("cancels the server's stream when the consumer stops reading", async () => {
    const reasoning = createGrpcClient(ReasoningService, address);
    try {
      let steps = 0;
      for await (const message of reasoning.stream("analyzeStream", {
        eventId: "e-endless",
        imageId: "endless",
      })) {
        expect(message.event.case).toBe("step");
        steps += 1;
        if (steps === 3) break;
      }
      await expect.poll(() => cancelledOnServer).toContain("e-endless");
    } finally {
      reasoning.close();
    }
  });

  it("maps a passed deadline to DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
    const triage = createGrpcClient(TriageService, address, { deadlineMs: 5000 });
    try {
      const started = Date.now();
      const error = await triage
        .call(
          "classify",
          { eventId: "e-slow", imageId: "slow", content: new Uint8Array([1]) },
          { deadlineMs: 150 },
        )
        .catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(isMirageError(error, "DEADLINE_EXCEEDED")).toBe(true);
      expect((error as MirageError).reason).toBe("grpc-deadline-exceeded");
      await expect.poll(() => cancelledOnServer).toContain("e-slow");
    } finally {
      triage.close();
    }
  });

  it("carries a MirageError's code, reason and details across the wire", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      const error = await triage
        .call("classify", { eventId: "e-4", content: new Uint8Array() })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MirageError);
      expect(error).toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "image-empty",
        details: { bytes: 0, grpcStatus: "INVALID_ARGUMENT", method: "/mirage.v1.TriageService/Classify" },
      });
      expect((error as MirageError).message).toContain("no image bytes");
    } finally {
      triage.close();
    }
  });

  it("turns any other handler error into INTERNAL", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      const error = await triage
        .call("classify", { imageId: "crash", content: new Uint8Array([1]) })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "INTERNAL", reason: "internal" });
    } finally {
      triage.close();
    }
  });

  it("cancels a call when its signal aborts", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      const abort = new AbortController();
      const pending = triage.call(
        "classify",
        { eventId: "e-abort", imageId: "slow", content: new Uint8Array([1]) },
        { signal: abort.signal },
      );
      setTimeout(() => abort.abort(new Error("shutting down")), 50);
      await expect(pending).rejects.toMatchObject({ code: "UNAVAILABLE", reason: "call-cancelled" });
      await expect.poll(() => cancelledOnServer).toContain("e-abort");
    } finally {
      triage.close();
    }
  });

  it("carries a 20 MB image both ways within the default 64 MiB limit", async () => {
    const big = new Uint8Array(20 * 1024 * 1024).fill(7);
    big[0] = 200;
    const reasoning = createGrpcClient(ReasoningService, address, { deadlineMs: 20_000 });
    const triage = createGrpcClient(TriageService, address, { deadlineMs: 20_000 });
    try {
      const classified = await triage.call("classify", { content: big });
      expect(classified.evidence[0]?.summary).toBe(`pixel model over ${big.length} bytes.`);
      // The response direction: a 20 MB evidence summary comes back whole.
      const response = await reasoning.call("analyze", {
        triage: { evidence: [{ summary: "x".repeat(big.length) }] },
      });
      expect(response.verdict?.evidence[0]?.summary.length).toBe(big.length);
    } finally {
      triage.close();
      reasoning.close();
    }
  });

  it("rejects a call without a positive deadline before sending it", async () => {
    const triage = createGrpcClient(TriageService, address);
    try {
      await expect(triage.call("classify", {}, { deadlineMs: 0 })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "invalid-deadline",
      });
    } finally {
      triage.close();
    }
  });

  it("refuses a message over the configured limit with RESOURCE_EXHAUSTED", async () => {
    const triage = createGrpcClient(TriageService, address, { maxMessageBytes: 1024 });
    try {
      const error = await triage
        .call("classify", { content: new Uint8Array(4096).fill(9) })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
    } finally {
      triage.close();
    }
  });
});

describe("graceful shutdown", () => {
  // A server whose Classify takes `holdMs` (from the request's imageId) and ignores cancellation.
  async function start() {
    const server = createGrpcServer({
      services: [
        {
          service: TriageService,
          implementation: {
            classify: async (req) => {
              await new Promise((resolve) => setTimeout(resolve, Number(req.imageId)));
              return { modelVersion: "done" };
            },
          },
        },
      ],
    });
    const port = await server.bind("127.0.0.1:0");
    return {
      server,
      client: createGrpcClient(TriageService, `127.0.0.1:${port}`, { retry: { maxAttempts: 1 } }),
    };
  }

  it("lets a call in flight finish", async () => {
    const { server, client } = await start();
    try {
      const pending = client.call("classify", { imageId: "300" });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = server.shutdown(5000);
      expect(server.isServing("")).toBe(false);
      await expect(pending).resolves.toMatchObject({ modelVersion: "done" });
      await stopped;
    } finally {
      client.close();
    }
  });

  it("cancels what is left after the timeout", async () => {
    const { server, client } = await start();
    try {
      const pending = client.call("classify", { imageId: "3000" }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await server.shutdown(200);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await pending).toMatchObject({ code: "UNAVAILABLE" });
    } finally {
      client.close();
    }
  });
});
