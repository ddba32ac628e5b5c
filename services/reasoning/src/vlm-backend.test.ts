/**
 * The reasoning service with REASONING_BACKEND=vlm, over real gRPC on loopback, against a local
 * server that speaks the OpenAI chat completions protocol: AnalyzeStream streams the VLM's steps as
 * they come; malformed and slow answers end in the forensic verdict within the caller's deadline.
 */
import {
  AnalysisMode,
  DecidedBy,
  ReasoningService,
  ReasoningStage,
  type AnalyzeStreamResponse,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import { createGrpcClient } from "@mirage/grpc";
import {
  png,
  startVlmTestServer,
  taggedAnswer,
  textured,
  tinyModelDir,
  warm,
  type VlmTestServer,
} from "@mirage/reasoning/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReasoningConfig } from "./config.js";
import { startReasoningServer, type ReasoningServer } from "./server.js";

const MODEL = "test-vlm";
const { HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION } = ReasoningStage;

const baseEnv = {
  REASONING_LISTEN: "127.0.0.1:0",
  REASONING_METRICS_PORT: "0",
  MIRAGE_TRIAGE_MODEL_DIR: tinyModelDir,
  SHUTDOWN_GRACE_MS: "1000",
};

describe("the reasoning service with the VLM backend", () => {
  let vlm: VlmTestServer;
  let service: ReasoningServer;
  let client: ReturnType<typeof createGrpcClient<typeof ReasoningService.method>>;
  let content: Uint8Array;
  beforeAll(async () => {
    vlm = await startVlmTestServer(MODEL);
    service = await startReasoningServer(
      readReasoningConfig({
        ...baseEnv,
        REASONING_BACKEND: "vlm",
        VLM_URL: vlm.url,
        VLM_MODEL: MODEL,
        // Longer than the deadlines below: only the caller's deadline can end a slow answer in time.
        VLM_TIMEOUT_MS: "30000",
      }),
    );
    client = createGrpcClient(ReasoningService, `127.0.0.1:${service.grpcPort}`, { deadlineMs: 30_000 });
    // Mildly warm: the tiny model leaves it uncertain, so the VLM is asked.
    content = await png(textured(256, 192, () => warm));
  });
  afterAll(async () => {
    client?.close();
    await service?.close();
    await vlm?.close();
  });

  /** Streams one analysis; notes, for each VLM step, whether the VLM server was still answering. */
  async function stream(deadlineMs?: number) {
    const messages: AnalyzeStreamResponse[] = [];
    const vlmStillAnswering: boolean[] = [];
    for await (const message of client.stream(
      "analyzeStream",
      { eventId: "e-1", imageId: "i-1", content, mode: AnalysisMode.DEEP },
      deadlineMs ? { deadlineMs } : {},
    )) {
      if (message.event.case === "step" && message.event.value.text.startsWith(`${MODEL}: `)) {
        vlmStillAnswering.push(vlm.inFlight === 1);
      }
      messages.push(message);
    }
    const steps = messages.flatMap((m) => (m.event.case === "step" ? [m.event.value] : []));
    const last = messages.at(-1)!.event;
    expect(last.case).toBe("verdict");
    return { steps, verdict: last.value as Verdict, vlmStillAnswering };
  }

  function expectForensicStands(steps: ReasoningStep[], verdict: Verdict, reason: string) {
    expect(verdict.modelVersions?.reasoning).not.toContain("+vlm");
    expect(verdict.evidence.at(-1)).toMatchObject({ kind: "vlm", details: { status: "failed", reason } });
    expect(steps.at(-1)!.stage).toBe(CONCLUSION);
    expect(steps.at(-1)!.text).toMatch(
      new RegExp(`^${MODEL} gave no usable answer \\(${reason}:.*the forensic conclusion stands: `),
    );
    expect(verdict.reasoning!.steps).toEqual(steps);
  }

  it("AnalyzeStream streams the VLM's sections while it answers, then the verdict", async () => {
    vlm.reply({ kind: "stream", text: taggedAnswer(), chunkChars: 10, delayMs: 30 });
    const { steps, verdict, vlmStillAnswering } = await stream();
    const vlmSteps = steps.filter((s) => s.text.startsWith(`${MODEL}: `));
    expect(vlmSteps.map((s) => s.stage)).toEqual([HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION]);
    expect(steps.at(-1)).toEqual(vlmSteps.at(-1));
    // The sections reached the gRPC client before the VLM had finished its answer.
    expect(vlmStillAnswering.slice(0, 3)).toEqual([true, true, true]);
    expect(verdict.reasoning!.steps).toEqual(steps);
    expect(verdict.decidedBy).toBe(DecidedBy.REASONING);
    expect(verdict.modelVersions?.reasoning).toMatch(new RegExp(`\\+vlm:${MODEL}$`));
    expect(verdict.evidence.at(-1)).toMatchObject({ kind: "vlm", details: { status: "ok", label: "ai" } });
    const request = vlm.requests.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.image).toMatchObject({ format: "jpeg", width: 256, height: 192 });
  });

  it("a malformed answer ends in the forensic verdict", async () => {
    vlm.reply({ kind: "stream", text: taggedAnswer().replace("</analytic>", "") });
    const { steps, verdict } = await stream();
    expectForensicStands(steps, verdict, "vlm-malformed-answer");
  });

  it("a slow answer and a hanging server end in the forensic verdict within a 3 s gRPC deadline", async () => {
    for (const reply of [
      { kind: "stream", text: taggedAnswer(), chunkChars: 3, delayMs: 200 } as const,
      { kind: "hang" } as const,
    ]) {
      vlm.reply(reply);
      // Were the verdict late, the stream would fail with DEADLINE_EXCEEDED instead.
      const { steps, verdict } = await stream(3000);
      expectForensicStands(steps, verdict, "vlm-timeout");
    }
  });

  it("reports the backend in /readyz", async () => {
    const response = await fetch(`http://127.0.0.1:${service.metricsPort}/readyz`);
    const report = (await response.json()) as { ready: boolean; checks: Record<string, string> };
    expect(report.ready).toBe(true);
    expect(report.checks.backend).toBe("vlm");
    expect(report.checks.reasoner).toMatch(new RegExp(`\\+vlm:${MODEL}$`));
  });
});

describe("VLM configuration", () => {
  it("defaults to the forensic backend", () => {
    expect(readReasoningConfig({})).toMatchObject({
      REASONING_BACKEND: "forensic",
      VLM_TIMEOUT_MS: 8000,
      VLM_MAX_TOKENS: 1024,
      VLM_WEIGHT: 1,
    });
  });

  it("names VLM_URL and VLM_MODEL when the vlm backend lacks them", () => {
    expect(() => readReasoningConfig({ REASONING_BACKEND: "vlm" })).toThrow(
      /VLM_URL: required when REASONING_BACKEND=vlm; VLM_MODEL: required when REASONING_BACKEND=vlm/,
    );
    expect(() =>
      readReasoningConfig({ REASONING_BACKEND: "vlm", VLM_URL: "gpu:8000", VLM_MODEL: "m" }),
    ).toThrow(/VLM_URL/);
    expect(() => readReasoningConfig({ REASONING_BACKEND: "gpt" })).toThrow(/REASONING_BACKEND/);
  });
});
