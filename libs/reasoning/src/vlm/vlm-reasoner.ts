import { create } from "@bufbuild/protobuf";
import {
  DecidedBy,
  ReasoningMode,
  ReasoningStage,
  ReasoningStepSchema,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import type { AnalyzeInput, AnalyzeOptions, Reasoner } from "../reasoner.js";
import { createAnswerParser, type ProseSection, type VlmConclusion } from "./answer.js";
import { streamChatCompletion } from "./chat-stream.js";
import {
  fallbackVerdict,
  judgedVerdict,
  labelAt,
  labelName,
  move,
  thresholdsText,
  type Thresholds,
} from "./combine.js";
import { reasoningAborted, vlmFailure } from "./failure.js";
import { imageDataUrl } from "./image.js";
import { buildMessages } from "./prompt.js";

/** Where the VLM is served: any OpenAI-compatible chat completions server (vLLM, SGLang, llama.cpp, Ollama). */
export interface VlmEndpoint {
  /** The API's base URL, e.g. `http://gpu-worker:8000/v1` (`/chat/completions` is appended unless already there). */
  url: string;
  /** The served model's name, as the server lists it under /v1/models. */
  model: string;
  /** Sent as a bearer token when set; never logged. */
  apiKey?: string;
  /** Longest VLM call, ms; the caller's `budgetMs` may cut it shorter. Default 8000. */
  timeoutMs?: number;
  /** `max_tokens` of the answer. Default 1024. */
  maxTokens?: number;
}

/** Options of {@link createVlmReasoner}. */
export interface VlmReasonerOptions {
  /**
   * The forensic reasoner that runs first; its verdict stands whenever the VLM is skipped or fails.
   * The moved pAi is read against its `thresholds`; without them (no pixel model) the VLM is never asked.
   */
  forensic: Reasoner;
  endpoint: VlmEndpoint;
  /** Most log-odds the VLM's judgement moves the forensic pAi (weight × confidence). Default 1. */
  weight?: number;
  /** Longest answer accepted, characters (tags and JSON included). Default 16 000. */
  maxAnswerChars?: number;
  /** Told of each VLM failure (the verdict records it too), e.g. to log it. */
  onFailure?: (error: MirageError) => void;
}

/** Defaults of {@link VlmEndpoint} and {@link VlmReasonerOptions}. */
export const vlmDefaults = { timeoutMs: 8000, maxTokens: 1024, weight: 1, maxAnswerChars: 16_000 } as const;

/** Longest prose section of an answer, characters. */
const MAX_SECTION_CHARS = 6000;
/** Time kept back from the caller's budget to build and send the verdict after the VLM gives up. */
const FINISH_RESERVE_MS = 100;
/** Below this, a VLM call is not worth starting. */
const MIN_VLM_MS = 250;

const stageOf: Record<ProseSection, ReasoningStage> = {
  heuristic: ReasoningStage.HEURISTIC,
  analytic: ReasoningStage.ANALYTIC,
  reflection: ReasoningStage.REFLECTION,
};

/**
 * Creates the VLM backend: the forensic examination first (its steps stream as they come, its
 * CONCLUSION held back), then — for a deep examination whose label the VLM could still change —
 * an OpenAI-compatible VLM shown the image and the forensic findings, prompted for heuristic →
 * analytic → reflection → conclusion in tagged sections. Each section streams as a step the moment
 * it closes; the VLM's judgement moves the calibrated forensic pAi by at most `weight` log-odds
 * and the label is read from it against the forensic reasoner's `thresholds` (which it exposes as
 * its own; null — no pixel model — means the VLM is never asked). Any failure (timeout,
 * unreachable, HTTP error, malformed, refused, too long) returns the forensic verdict, with a
 * CONCLUSION step and a `vlm` evidence that say why. Version: `<forensic>+vlm:<model>`.
 */
export function createVlmReasoner(options: VlmReasonerOptions): Reasoner {
  const settings = settle(options);
  const { forensic, model } = settings;
  const version = `${forensic.version}+vlm:${model}`;
  // The forensic reasoner's own thresholds: the moved pAi reads as its verdicts do.
  const { thresholds } = forensic;

  async function analyze(input: AnalyzeInput, analyzeOptions: AnalyzeOptions = {}): Promise<Verdict> {
    const started = performance.now();
    const { onStep, signal, budgetMs } = analyzeOptions;
    const deadline = budgetMs === undefined ? undefined : started + budgetMs;
    const verdict = await forensic.analyze(input, {
      ...(signal ? { signal } : {}),
      ...(budgetMs !== undefined ? { budgetMs } : {}),
      onStep: (step) => {
        if (step.stage !== ReasoningStage.CONCLUSION) onStep?.(step);
      },
    });
    const forensicSteps = verdict.reasoning?.steps ?? [];
    const findings = forensicSteps.filter((s) => s.stage !== ReasoningStage.CONCLUSION);
    const held = forensicSteps.filter((s) => s.stage === ReasoningStage.CONCLUSION);
    if (!thresholds || !worthAsking(verdict, input, thresholds, settings.weight)) {
      for (const step of held) onStep?.(step);
      return verdict;
    }

    const steps = [...findings];
    const add = (stage: ReasoningStage, text: string): void => {
      const step = create(ReasoningStepSchema, { stage, text });
      steps.push(step);
      onStep?.(step);
    };
    const parts = { forensic: verdict, steps, started };
    let conclusion: VlmConclusion;
    try {
      const answer = await consult(input, findings, settings, { signal, deadline }, add);
      // One line each, like every other step and evidence text.
      conclusion = {
        ...answer,
        explanation: oneLine(answer.explanation),
        decisive_evidence: answer.decisive_evidence.map(oneLine),
      };
    } catch (error) {
      if (signal?.aborted) throw reasoningAborted(signal, "while the VLM answered");
      const failure = MirageError.from(error, "vlm-failed");
      options.onFailure?.(failure);
      const stands = held.map((s) => s.text).join(" ");
      add(
        ReasoningStage.CONCLUSION,
        `${model} gave no usable answer (${failure.reason}: ${clip(failure.message, 300)}), so the forensic conclusion stands: ${stands}`,
      );
      return fallbackVerdict(parts, { model, error: failure });
    }

    const moved = move(verdict, conclusion, settings.weight, thresholds, input.policy);
    const evidence =
      conclusion.decisive_evidence.length > 0 ? ` Decisive: ${conclusion.decisive_evidence.join("; ")}.` : "";
    const reads = labelName(labelAt(moved.pAi, thresholds, input.policy));
    const outcome =
      moved.withheld !== null
        ? `${reads}, but the VLM alone never makes REAL a case the forensic examination did not call REAL: ${labelName(moved.label)}.`
        : `${reads}.`;
    add(
      ReasoningStage.CONCLUSION,
      `${model}: ${conclusion.label} at confidence ${conclusion.confidence.toFixed(2)}: ${sentence(conclusion.explanation)}${evidence} ` +
        `The forensic pAi ${verdict.pAi.toFixed(2)} moved by ${signed(moved.shift)} log-odds (weight ${settings.weight} × confidence ${conclusion.confidence.toFixed(2)}) to ${moved.pAi.toFixed(2)}, ` +
        `read against the thresholds (${thresholdsText(thresholds, input.policy)}): ${outcome}`,
    );
    return judgedVerdict(parts, { model, version, conclusion, moved, weight: settings.weight });
  }

  return { version, thresholds, analyze };
}

interface Settings {
  forensic: Reasoner;
  model: string;
  chatUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  maxTokens: number;
  weight: number;
  maxAnswerChars: number;
}

// Fills the defaults and rejects what cannot work, at creation (start-up), not on the first image.
function settle(options: VlmReasonerOptions): Settings {
  const { endpoint } = options;
  const invalid = (message: string) =>
    new MirageError("INVALID_ARGUMENT", `VLM backend: ${message}`, { reason: "invalid-vlm-config" });
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw invalid("the endpoint URL is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalid("the endpoint URL must be http(s)");
  if (endpoint.model.trim() === "") throw invalid("the model name is empty");
  const timeoutMs = endpoint.timeoutMs ?? vlmDefaults.timeoutMs;
  const maxTokens = endpoint.maxTokens ?? vlmDefaults.maxTokens;
  const weight = options.weight ?? vlmDefaults.weight;
  const maxAnswerChars = options.maxAnswerChars ?? vlmDefaults.maxAnswerChars;
  if (!(timeoutMs > 0)) throw invalid(`timeoutMs must be positive, got ${timeoutMs}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    throw invalid(`maxTokens must be a positive integer, got ${maxTokens}`);
  if (!(weight >= 0 && Number.isFinite(weight))) throw invalid(`weight must be ≥ 0, got ${weight}`);
  if (!(maxAnswerChars >= 100)) throw invalid(`maxAnswerChars must be ≥ 100, got ${maxAnswerChars}`);
  const base = endpoint.url.replace(/\/+$/, "");
  return {
    forensic: options.forensic,
    model: endpoint.model,
    chatUrl: base.endsWith("/chat/completions") ? base : `${base}/chat/completions`,
    apiKey: endpoint.apiKey || undefined,
    timeoutMs,
    maxTokens,
    weight,
    maxAnswerChars,
  };
}

/**
 * Whether the VLM is worth a call: only for a deep examination of pixels (not decided by
 * provenance, not QUICK, a decoded image scored by the pixel model) whose label a judgement of
 * at most `weight` log-odds could still change. Otherwise the forensic verdict is final as it is.
 */
function worthAsking(verdict: Verdict, input: AnalyzeInput, thresholds: Thresholds, weight: number): boolean {
  if (verdict.decidedBy === DecidedBy.PROVENANCE) return false;
  if (verdict.reasoning?.mode !== ReasoningMode.DEEP) return false;
  if (!input.detection.image || !input.detection.pixel) return false;
  const ai = move(verdict, { label: "ai", confidence: 1 }, weight, thresholds, input.policy);
  const real = move(verdict, { label: "real", confidence: 1 }, weight, thresholds, input.policy);
  return ai.label !== verdict.label || real.label !== verdict.label;
}

/** Asks the VLM; the prose sections go to `add` as they close; resolves with the validated conclusion. */
async function consult(
  input: AnalyzeInput,
  findings: readonly ReasoningStep[],
  settings: Settings,
  time: { signal: AbortSignal | undefined; deadline: number | undefined },
  add: (stage: ReasoningStage, text: string) => void,
): Promise<VlmConclusion> {
  const { signal, deadline } = time;
  const left = deadline === undefined ? Infinity : deadline - performance.now() - FINISH_RESERVE_MS;
  const budget = Math.min(settings.timeoutMs, left);
  if (budget < MIN_VLM_MS) {
    throw vlmFailure(
      "vlm-timeout",
      `no time left for the VLM: ${Math.max(0, Math.round(left))} ms of the caller's budget`,
    );
  }
  // Aborted with the timeout's own failure or with the caller's reason: a fetch or a body read
  // then rejects with that reason, so the failure says which it was.
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        vlmFailure("vlm-timeout", `the VLM did not finish its answer within ${Math.round(budget)} ms`),
      ),
    budget,
  );
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    const imageUrl = await imageDataUrl(input.detection.image!);
    const parser = createAnswerParser(
      { maxAnswerChars: settings.maxAnswerChars, maxSectionChars: MAX_SECTION_CHARS },
      (section, text) => add(stageOf[section], `${settings.model}: ${oneLine(text)}`),
    );
    const end = await streamChatCompletion(
      {
        url: settings.chatUrl,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        body: {
          model: settings.model,
          messages: buildMessages(findings, imageUrl),
          stream: true,
          max_tokens: settings.maxTokens,
          // Greedy decoding: the same image gets the same judgement, so verdicts are reproducible.
          temperature: 0,
        },
        signal: controller.signal,
        // SSE framing costs ~100–200 bytes per streamed token on top of the text itself.
        maxBodyBytes: 64 * 1024 + settings.maxAnswerChars * 64,
      },
      (text) => parser.push(text),
    );
    if (end.finishReason === "content_filter") {
      throw vlmFailure("vlm-refused", "the VLM's answer was stopped by its content filter");
    }
    if (!parser.complete && end.finishReason === "length") {
      throw vlmFailure(
        "vlm-answer-too-long",
        `the VLM hit max_tokens (${settings.maxTokens}) before </conclusion>`,
      );
    }
    if (!parser.complete && !end.finished) {
      throw vlmFailure("vlm-unavailable", "the VLM's stream broke off before the answer was complete");
    }
    return parser.end();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    // Nothing of this call may outlive it: a request still in flight is cancelled, its socket closed.
    controller.abort();
  }
}

function oneLine(text: string): string {
  return text
    .replace(/\p{Cc}/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function sentence(text: string): string {
  const line = oneLine(text);
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
