import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import {
  DecidedBy,
  Label,
  ReasoningMode,
  ReasoningStage,
  verdictJsonSchema,
  verdictToJson,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import { createDetector, type Detector } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createReasoner,
  createVlmReasoner,
  withDeadline,
  type AnalyzeOptions,
  type Reasoner,
  type ReasoningModeName,
  type VlmEndpoint,
  type VlmReasonerOptions,
} from "../index.js";
import {
  png,
  red,
  startVlmTestServer,
  taggedAnswer,
  textured,
  tinyModelDir,
  warm,
  type VlmReply,
  type VlmTestServer,
} from "../testing/index.js";
import { labelAt } from "./combine.js";

const { HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION } = ReasoningStage;
const MODEL = "test-vlm";

let detector: Detector;
let forensic: Reasoner;
let server: VlmTestServer;
let warmBytes: Uint8Array;
beforeAll(async () => {
  detector = await createDetector({ modelDir: tinyModelDir });
  forensic = createReasoner({ detector });
  server = await startVlmTestServer(MODEL);
  warmBytes = await png(textured(256, 192, () => warm));
});
afterAll(async () => {
  await server.close();
  await detector.close();
});
afterEach(async () => {
  // No call outlives its analysis: every response the server started is over (finished or cut off).
  await vi.waitFor(() => expect(server.inFlight).toBe(0), { timeout: 2000 });
  server.reply({ kind: "stream", text: taggedAnswer() });
});

/** Every verdict the forensic reasoner gave the VLM backend, in order: what a fallback must return. */
const forensicVerdicts: Verdict[] = [];

/** The VLM backend over the recorded forensic reasoner; `thresholds` replaces the ones it reports. */
function vlm(
  overrides: Omit<Partial<VlmReasonerOptions>, "endpoint"> & {
    endpoint?: Partial<VlmEndpoint>;
    thresholds?: Reasoner["thresholds"];
  } = {},
) {
  const { endpoint, thresholds = forensic.thresholds, ...rest } = overrides;
  // The real forensic reasoner, its verdicts recorded on the way through.
  const recorded: Reasoner = {
    version: forensic.version,
    thresholds,
    analyze: async (input, options) => {
      const verdict = await forensic.analyze(input, options);
      forensicVerdicts.push(verdict);
      return verdict;
    },
  };
  return createVlmReasoner({
    forensic: recorded,
    ...rest,
    endpoint: { url: server.url, model: MODEL, timeoutMs: 5000, ...endpoint },
  });
}

interface Run {
  verdict: Verdict;
  streamed: ReasoningStep[];
  /** The forensic verdict behind it. */
  alone: Verdict;
}

interface RunOptions extends AnalyzeOptions {
  bytes?: Uint8Array;
  mode?: ReasoningModeName;
  policy?: "default" | "strict";
  /** A caller deadline this far from the call: its signal fires then, and the budget says so. */
  deadlineMs?: number;
  /** Pass the deadline through withDeadline (as the service does) rather than as budgetMs. */
  viaWithDeadline?: boolean;
}

async function run(reasoner: Reasoner, options: RunOptions = {}): Promise<Run> {
  const {
    bytes = warmBytes,
    mode = "deep",
    policy = "default",
    deadlineMs,
    viaWithDeadline,
    ...analyzeOptions
  } = options;
  const detection = await detector.detect(bytes, { policy });
  const streamed: ReasoningStep[] = [];
  const recordedBefore = forensicVerdicts.length;
  if (deadlineMs !== undefined) {
    analyzeOptions.signal = AbortSignal.timeout(deadlineMs);
    if (viaWithDeadline) reasoner = withDeadline(reasoner, Date.now() + deadlineMs);
    else analyzeOptions.budgetMs = deadlineMs;
  }
  const verdict = await reasoner.analyze(
    { bytes, detection, mode, policy },
    {
      ...analyzeOptions,
      onStep: (step) => {
        streamed.push(step);
        analyzeOptions.onStep?.(step);
      },
    },
  );
  expect(forensicVerdicts.length).toBe(recordedBefore + 1);
  return { verdict, streamed, alone: forensicVerdicts.at(-1)! };
}

const stages = (steps: readonly ReasoningStep[]) => steps.map((s) => s.stage);
const logit = (p: number) => Math.log(p / (1 - p));

function expectContractValid(verdict: Verdict) {
  const parsed = verdictJsonSchema.safeParse(verdictToJson(verdict));
  expect(parsed.success, parsed.error?.message).toBe(true);
}

/** The forensic verdict stood, with the failure recorded: the reason in the last step and the evidence. */
function expectFallback({ verdict, streamed, alone }: Run, reason: string) {
  expect(verdict.label).toBe(alone.label);
  expect(verdict.pAi).toBe(alone.pAi);
  expect(verdict.decidedBy).toBe(alone.decidedBy);
  expect(verdict.modelVersions?.reasoning).toBe(forensic.version);
  expect(verdict.evidence.slice(0, -1)).toEqual(alone.evidence);
  expect(verdict.evidence.at(-1)).toMatchObject({
    kind: "vlm",
    weight: 0,
    details: { status: "failed", reason },
  });
  const last = verdict.reasoning!.steps.at(-1)!;
  expect(last.stage).toBe(CONCLUSION);
  expect(last.text).toContain(`${MODEL} gave no usable answer (${reason}:`);
  expect(last.text).toContain(`the forensic conclusion stands: ${alone.reasoning!.steps.at(-1)!.text}`);
  expect(streamed).toEqual(verdict.reasoning!.steps);
  expectContractValid(verdict);
}

describe("the VLM backend against a local OpenAI-compatible server", () => {
  it("streams the forensic steps, then each VLM section as it closes, then one CONCLUSION", async () => {
    server.reply({ kind: "stream", text: taggedAnswer(), chunkChars: 5, delayMs: 5 });
    const reasoner = vlm();
    // Whether the server was still streaming when each VLM section arrived: the steps stream.
    const streamingAt: boolean[] = [];
    const result = await run(reasoner, {
      onStep: (step) => {
        if (step.text.startsWith(`${MODEL}: `)) streamingAt.push(server.inFlight === 1);
      },
    });
    const { verdict, streamed, alone } = result;
    const forensicStages = stages(alone.reasoning!.steps).slice(0, -1);
    expect(stages(streamed)).toEqual([...forensicStages, HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION]);
    expect(streamed).toEqual(verdict.reasoning!.steps);
    expect(streamed.slice(0, forensicStages.length)).toEqual(alone.reasoning!.steps.slice(0, -1));
    const vlmSteps = streamed.slice(forensicStages.length);
    expect(vlmSteps.map((s) => s.text)).toEqual([
      `${MODEL}: At a glance the image looks polished, like a render.`,
      `${MODEL}: The hands are plausible, but the signage in the background is illegible and the bokeh is uniform.`,
      `${MODEL}: Compression could blur text, yet not into letter-like shapes; the forensic findings lean the same way.`,
      expect.stringMatching(
        /^test-vlm: ai at confidence 0\.80: The skin is waxy .* Decisive: garbled signage; waxy skin\. The forensic pAi 0\.\d\d moved by \+0\.80 log-odds \(weight 1 × confidence 0\.80\) to 0\.\d\d, read against the thresholds \(AI at ≥ 0\.80, real at ≤ 0\.20 under the default policy\): NEEDS_REVIEW\.$/,
      ),
    ]);
    // The three sections came while the answer was still streaming (the conclusion once it ended).
    expect(streamingAt.slice(0, 3)).toEqual([true, true, true]);

    expect(verdict.decidedBy).toBe(DecidedBy.REASONING);
    expect(verdict.reasoning?.mode).toBe(ReasoningMode.DEEP);
    expect(verdict.modelVersions).toMatchObject({
      triage: "tiny-test",
      reasoning: `${forensic.version}+vlm:${MODEL}`,
    });
    expect(reasoner.version).toBe(`${forensic.version}+vlm:${MODEL}`);
    expect(verdict.evidence.slice(0, -1)).toEqual(alone.evidence);
    expect(verdict.evidence.at(-1)).toMatchObject({
      kind: "vlm",
      summary: `${MODEL}: ai at confidence 0.80: The skin is waxy and the background text is garbled.`,
      details: { status: "ok", model: MODEL, label: "ai", confidence: "0.8000", logOddsShift: "0.8000" },
    });
    expect(verdict.band).toBe(alone.band);
    expect(verdict.timings!.reasoningMs).toBeGreaterThan(0);
    expect(verdict.timings!.totalMs).toBeCloseTo(verdict.timings!.triageMs + verdict.timings!.reasoningMs, 6);
    expectContractValid(verdict);
  });

  it("sends the model, the image as a JPEG image_url part, the findings, stream: true and max_tokens", async () => {
    const before = server.requests.length;
    const { alone } = await run(vlm({ endpoint: { maxTokens: 321 } }));
    expect(server.requests.length).toBe(before + 1);
    const request = server.requests.at(-1)!;
    expect(request.problems).toEqual([]);
    expect(request.body).toMatchObject({ model: MODEL, stream: true, max_tokens: 321, temperature: 0 });
    expect(request.image).toMatchObject({ format: "jpeg", width: 256, height: 192 });
    expect(request.authorization).toBeUndefined();
    expect(request.systemText).toMatch(/<heuristic>.*<\/heuristic>\n<analytic>/s);
    // Every forensic finding but its conclusion, quoted as data.
    for (const step of alone.reasoning!.steps.slice(0, -1)) {
      expect(request.userText).toContain(`${ReasoningStage[step.stage]}: ${step.text.replace(/[<>]/g, "")}`);
    }
    expect(request.userText).not.toContain(alone.reasoning!.steps.at(-1)!.text);
  });

  it("sends the API key as a bearer token and never puts it in the verdict", async () => {
    const apiKey = "sk-test-0123456789";
    server.reply({ kind: "status", status: 401, message: "bad key" });
    const result = await run(vlm({ endpoint: { apiKey } }));
    expect(server.requests.at(-1)!.authorization).toBe(`Bearer ${apiKey}`);
    expectFallback(result, "vlm-http-error");
    expect(JSON.stringify(verdictToJson(result.verdict))).not.toContain(apiKey);
  });

  it("moves the forensic pAi by at most weight × confidence log-odds; the label follows the thresholds", async () => {
    const thresholds = forensic.thresholds!;
    const cases = [
      { weight: 1, label: "ai", confidence: 0.8, shift: 0.8 },
      { weight: 1, label: "real", confidence: 0.5, shift: -0.5 },
      { weight: 2.5, label: "ai", confidence: 1, shift: 2.5 },
      { weight: 1, label: "uncertain", confidence: 0.9, shift: 0 },
    ] as const;
    for (const c of cases) {
      server.reply({
        kind: "stream",
        text: taggedAnswer({
          conclusion: { label: c.label, confidence: c.confidence, explanation: "x", decisive_evidence: [] },
        }),
      });
      const { verdict, alone } = await run(vlm({ weight: c.weight }));
      expect(logit(verdict.pAi) - logit(alone.pAi)).toBeCloseTo(c.shift, 6);
      expect(Math.abs(logit(verdict.pAi) - logit(alone.pAi))).toBeLessThanOrEqual(c.weight + 1e-9);
      expect(verdict.label).toBe(labelAt(verdict.pAi, thresholds, "default"));
      expect(verdict.decidedBy).toBe(DecidedBy.REASONING);
    }
    // A strong "ai" from the VLM takes the uncertain warm image past the AI threshold.
    server.reply({ kind: "stream", text: taggedAnswer() });
    const { verdict } = await run(vlm({ weight: 2.5 }));
    expect(verdict.label).toBe(Label.AI_GENERATED);
  });

  it("never turns a case the forensic examination did not call REAL into REAL (fail closed)", async () => {
    server.reply({
      kind: "stream",
      text: taggedAnswer({
        conclusion: { label: "real", confidence: 1, explanation: "A camera photo.", decisive_evidence: [] },
      }),
    });
    const { verdict, alone } = await run(vlm({ weight: 3 }));
    expect(alone.label).toBe(Label.NEEDS_REVIEW);
    expect(verdict.pAi).toBeLessThan(0.2);
    expect(verdict.label).toBe(Label.NEEDS_REVIEW);
    expect(verdict.reasoning!.steps.at(-1)!.text).toMatch(
      /: REAL, but the VLM alone never makes REAL a case the forensic examination did not call REAL: NEEDS_REVIEW\.$/,
    );
    expect(verdict.evidence.at(-1)!.details).toMatchObject({ status: "ok", withheld: "REAL" });
  });

  it("accepts a whole JSON completion from a server that ignores stream: true", async () => {
    server.reply({ kind: "json", text: taggedAnswer() });
    const { verdict, streamed } = await run(vlm());
    expect(verdict.modelVersions?.reasoning).toBe(`${forensic.version}+vlm:${MODEL}`);
    expect(stages(streamed).slice(-4)).toEqual([HEURISTIC, ANALYTIC, REFLECTION, CONCLUSION]);
  });

  const good = taggedAnswer();
  const failures: Array<[string, VlmReply, string]> = [
    [
      "a missing tag",
      { kind: "stream", text: good.replace(/<reflection>.*<\/reflection>/, "") },
      "vlm-malformed-answer",
    ],
    [
      "bad JSON",
      { kind: "stream", text: taggedAnswer({ conclusion: "{label: ai}" }) },
      "vlm-malformed-answer",
    ],
    [
      "sections out of order",
      {
        kind: "stream",
        text: "<analytic>a</analytic><heuristic>b</heuristic><reflection>c</reflection><conclusion>{}</conclusion>",
      },
      "vlm-malformed-answer",
    ],
    [
      "a confidence out of range",
      {
        kind: "stream",
        text: taggedAnswer({
          conclusion: { label: "ai", confidence: 1.7, explanation: "x", decisive_evidence: [] },
        }),
      },
      "vlm-malformed-answer",
    ],
    ["a chunk that is not JSON", { kind: "events", events: ["{not json", "[DONE]"] }, "vlm-malformed-answer"],
    ["HTTP 500", { kind: "status", status: 500, message: "CUDA out of memory" }, "vlm-http-error"],
    [
      "an error event mid-stream",
      { kind: "events", events: [JSON.stringify({ error: { message: "engine died" } })] },
      "vlm-http-error",
    ],
    [
      "a content filter",
      { kind: "stream", text: "<heuristic>", finishReason: "content_filter" },
      "vlm-refused",
    ],
    ["an apology", { kind: "stream", text: "I'm sorry, but I can't help with that request." }, "vlm-refused"],
    [
      "a refusal field",
      {
        kind: "events",
        events: [
          JSON.stringify({
            choices: [{ index: 0, delta: { refusal: "I can't assist." }, finish_reason: null }],
          }),
        ],
      },
      "vlm-refused",
    ],
    [
      "max_tokens reached",
      { kind: "stream", text: good.slice(0, 120), finishReason: "length" },
      "vlm-answer-too-long",
    ],
    [
      "a section too long",
      { kind: "stream", text: taggedAnswer({ analytic: "word ".repeat(2000) }), chunkChars: 200 },
      "vlm-answer-too-long",
    ],
    [
      "a stream that breaks off",
      { kind: "stream", text: good.slice(0, 150), finishReason: null, done: false },
      "vlm-unavailable",
    ],
  ];

  it.each(failures)("falls back to the forensic verdict on %s", async (_name, reply, reason) => {
    server.reply(reply);
    const failed: MirageError[] = [];
    const result = await run(vlm({ onFailure: (e) => failed.push(e) }));
    expectFallback(result, reason);
    expect(failed.map((e) => e.reason)).toEqual([reason]);
  });

  it("keeps the sections that streamed before a failure in the trace", async () => {
    server.reply({ kind: "stream", text: taggedAnswer({ conclusion: '{"label": "ai"' }) });
    const result = await run(vlm());
    expectFallback(result, "vlm-malformed-answer");
    expect(stages(result.verdict.reasoning!.steps).slice(-4)).toEqual([
      HEURISTIC,
      ANALYTIC,
      REFLECTION,
      CONCLUSION,
    ]);
    expect(result.verdict.reasoning!.steps.at(-1)!.text).toMatch(/the conclusion is not JSON/);
  });

  it("falls back with vlm-unavailable when nothing listens", async () => {
    const port = await freePort();
    const result = await run(vlm({ endpoint: { url: `http://127.0.0.1:${port}/v1` } }));
    expectFallback(result, "vlm-unavailable");
    expect(result.verdict.reasoning!.steps.at(-1)!.text).toMatch(
      /cannot reach the VLM at http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/,
    );
  });

  it("gives up on a hanging server after timeoutMs, and closes the connection", async () => {
    server.reply({ kind: "hang" });
    const result = await run(vlm({ endpoint: { timeoutMs: 700 } }));
    expectFallback(result, "vlm-timeout");
    expect(result.verdict.reasoning!.steps.at(-1)!.text).toMatch(/did not finish its answer within 700 ms/);
  });

  it("returns the forensic verdict before a 2.5 s caller deadline when the VLM is slow or hangs", async () => {
    const slow: VlmReply = { kind: "stream", text: taggedAnswer(), chunkChars: 4, delayMs: 150 };
    // The caller's signal fires at its deadline: were the verdict late, analyze would throw.
    for (const reply of [slow, { kind: "hang" } as const]) {
      server.reply(reply);
      expectFallback(
        await run(vlm({ endpoint: { timeoutMs: 60_000 } }), { deadlineMs: 2500 }),
        "vlm-timeout",
      );
    }
    // The same through withDeadline, as the service passes its gRPC deadline.
    server.reply(slow);
    const viaDeadline = await run(vlm({ endpoint: { timeoutMs: 60_000 } }), {
      deadlineMs: 2500,
      viaWithDeadline: true,
    });
    expectFallback(viaDeadline, "vlm-timeout");
  });

  it("skips the VLM when no time is left after the forensic examination", async () => {
    const before = server.requests.length;
    const result = await run(vlm(), { budgetMs: 1 });
    expect(server.requests.length).toBe(before);
    expectFallback(result, "vlm-timeout");
    expect(result.verdict.reasoning!.steps.at(-1)!.text).toMatch(/no time left for the VLM/);
  });

  it("throws reasoning-aborted when the caller aborts while the VLM answers, and cancels the call", async () => {
    server.reply({ kind: "hang" });
    const controller = new AbortController();
    const before = server.requests.length;
    const analysis = run(vlm(), { signal: controller.signal });
    await vi.waitFor(() => expect(server.requests.length).toBe(before + 1), { timeout: 10_000 });
    expect(server.inFlight).toBe(1);
    controller.abort(new Error("client went away"));
    const error = await analysis.then(
      () => new Error("the analysis was not aborted"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MirageError);
    expect(error).toMatchObject({ code: "DEADLINE_EXCEEDED", reason: "reasoning-aborted" });
  });

  it("does not ask the VLM when the case is easy: QUICK, or a label no judgement could change", async () => {
    const before = server.requests.length;
    const quick = await run(vlm(), { mode: "quick" });
    expect(quick.verdict).toBe(quick.alone);
    expect(quick.streamed).toEqual(quick.alone.reasoning!.steps);
    const obvious = await run(vlm(), { bytes: await png(textured(256, 192, () => red)) });
    expect(obvious.verdict).toBe(obvious.alone);
    expect(obvious.alone.label).toBe(Label.AI_GENERATED);
    expect(obvious.verdict.modelVersions?.reasoning).toBe(forensic.version);
    expect(obvious.streamed).toEqual(obvious.alone.reasoning!.steps);
    expect(server.requests.length).toBe(before);
  });

  it("never asks the VLM when the forensic reasoner has no thresholds (no pixel model)", async () => {
    const before = server.requests.length;
    const reasoner = vlm({ thresholds: null, weight: 20 });
    expect(reasoner.thresholds).toBeNull();
    const { verdict, alone, streamed } = await run(reasoner);
    expect(verdict).toBe(alone);
    expect(streamed).toEqual(alone.reasoning!.steps);
    expect(server.requests.length).toBe(before);
  });

  it("rejects an unusable endpoint when it is created", () => {
    expect(() => vlm({ endpoint: { url: "not a url" } })).toThrow(/not a URL/);
    expect(() => vlm({ endpoint: { url: "ftp://x/v1" } })).toThrow(/http/);
    expect(() => vlm({ endpoint: { model: " " } })).toThrow(/model name/);
    expect(() => vlm({ weight: -1 })).toThrow(/weight/);
  });
});

describe("the thresholds the VLM backend reads its moved pAi against", () => {
  it("are the forensic reasoner's, which reproduce its deep verdicts' labels", async () => {
    expect(forensic.thresholds).not.toBeNull();
    expect(vlm().thresholds).toEqual(forensic.thresholds);
    const thresholds = forensic.thresholds!;
    const images = [warm, red, [40, 90, 220] as const, [80, 110, 190] as const];
    for (const colour of images) {
      for (const policy of ["default", "strict"] as const) {
        const bytes = await png(textured(128, 96, () => colour));
        const detection = await detector.detect(bytes, { policy });
        const verdict = await forensic.analyze({ bytes, detection, mode: "deep", policy });
        expect(verdict.label).toBe(labelAt(verdict.pAi, thresholds, policy));
      }
    }
  });
});

// An aigi-v1 photo read in place (never copied): 2400 × 1600, so the VLM sees it shrunk.
describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("on a real photo of aigi-v1", () => {
  it("sends the photo as a JPEG of at most 1024 px on its long side, aspect kept", async () => {
    const bytes = new Uint8Array(
      readFileSync(sharedPath("datasets/aigi-v1", "real/imagenet-samples/n02091032_Italian_greyhound.jpg")),
    );
    const before = server.requests.length;
    // A large weight, so that the judgement could change any label and the VLM is asked.
    const { verdict } = await run(vlm({ weight: 20 }), { bytes });
    expect(server.requests.length).toBe(before + 1);
    expect(server.requests.at(-1)!.image).toMatchObject({ format: "jpeg", width: 1024, height: 683 });
    expect(verdict.modelVersions?.reasoning).toBe(`${forensic.version}+vlm:${MODEL}`);
    expectContractValid(verdict);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
