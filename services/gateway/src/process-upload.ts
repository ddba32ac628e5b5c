import { clone, create } from "@bufbuild/protobuf";
import type { GenService } from "@bufbuild/protobuf/codegenv2";
import {
  AnalysisMode,
  Band,
  DecidedBy,
  Label,
  ModelVersionsSchema,
  Policy,
  type ReasoningService,
  TimingsSchema,
  type TriageService,
  VerdictSchema,
  type ClassifyResponse,
  type Verdict,
} from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import type { GrpcClient } from "@mirage/grpc";
import type { Logger, Metrics } from "@mirage/telemetry";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { fallbackReason } from "./fallback-reason.js";
import type { ImageSource } from "./image-source.js";
import { parseUploadEvent, type UploadRequest } from "./upload-event.js";

/** What became of one consumed event: a verdict to publish, or a dead letter with its reason. */
export type Outcome =
  | { kind: "verdict"; verdict: Verdict; request: UploadRequest }
  | { kind: "dead-letter"; error: MirageError; imageId: string | null };

type MethodsOf<T> = T extends GenService<infer M> ? M : never;

/** Everything the pipeline talks to. */
export interface PipelineDeps {
  triage: GrpcClient<MethodsOf<typeof TriageService>>;
  reasoning: GrpcClient<MethodsOf<typeof ReasoningService>>;
  breaker: CircuitBreaker;
  readImage: ImageSource;
  metrics: Metrics;
  log: Logger;
  triageDeadlineMs: number;
  reasoningDeadlineMs: number;
  /** The active trace's id, for the verdict. */
  traceId: () => string;
}

/** Triage errors worth waiting out: the service is down, restarting or overloaded. */
const transientCodes = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"]);
/** An INTERNAL failure may be a poison image: tried this often, then dead-lettered. */
const maxInternalAttempts = 3;

/**
 * One upload event → one outcome. Bad events, unreadable or refused sources and images triage
 * rejects become dead letters; a triage outage is waited out (the event is never lost or
 * dead-lettered for it); a slow or failing reasoning tier yields NEEDS_REVIEW / FALLBACK.
 * Rejects only when `signal` aborts (shutdown): the event is then left uncommitted.
 */
export async function processUpload(
  value: Buffer | null,
  headers: Record<string, string>,
  consumedAt: number,
  deps: PipelineDeps,
  signal: AbortSignal,
): Promise<Outcome> {
  let request: UploadRequest;
  try {
    request = parseUploadEvent(value, headers);
  } catch (error) {
    return {
      kind: "dead-letter",
      error: MirageError.from(error, "invalid-event"),
      imageId: imageIdOf(value),
    };
  }
  let bytes: Uint8Array;
  try {
    bytes = await deps.readImage(request.source);
  } catch (error) {
    return { kind: "dead-letter", error: MirageError.from(error, "fetch-failed"), imageId: request.imageId };
  }
  const triageStarted = performance.now();
  let triage: ClassifyResponse;
  try {
    triage = await classifyPatiently(request, bytes, deps, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: "dead-letter", error: MirageError.from(error, "triage-failed"), imageId: request.imageId };
  }
  const triageMs = performance.now() - triageStarted;
  const escalate =
    triage.decidedBy !== DecidedBy.PROVENANCE &&
    (triage.band === Band.UNCERTAIN || request.policy === "strict");
  const base = {
    eventId: request.eventId,
    imageId: request.imageId,
    traceId: deps.traceId(),
  };
  if (!escalate) {
    const verdict = create(VerdictSchema, {
      ...base,
      label: triage.label,
      pAi: triage.pAi,
      decidedBy: triage.decidedBy,
      band: triage.band,
      evidence: triage.evidence,
      modelVersions: { triage: triage.modelVersion, reasoning: "" },
      timings: { triageMs, reasoningMs: 0, totalMs: Date.now() - consumedAt },
    });
    return { kind: "verdict", verdict, request };
  }
  const reasoningStarted = performance.now();
  const reasoned = await analyzeOrFallBack(request, bytes, triage, deps, signal);
  const reasoningMs = performance.now() - reasoningStarted;
  const timings = create(TimingsSchema, { triageMs, reasoningMs, totalMs: Date.now() - consumedAt });
  if (reasoned) {
    const verdict = clone(VerdictSchema, reasoned);
    Object.assign(verdict, base, {
      band: triage.band,
      modelVersions: create(ModelVersionsSchema, {
        triage: triage.modelVersion,
        reasoning: reasoned.modelVersions?.reasoning ?? "",
      }),
      timings,
    });
    return { kind: "verdict", verdict, request };
  }
  const verdict = create(VerdictSchema, {
    ...base,
    // Moderation fails closed: an uncertain image is never published as REAL.
    label: Label.NEEDS_REVIEW,
    pAi: triage.pAi,
    decidedBy: DecidedBy.FALLBACK,
    band: triage.band,
    evidence: triage.evidence,
    modelVersions: { triage: triage.modelVersion, reasoning: "" },
    timings,
  });
  return { kind: "verdict", verdict, request };
}

async function classifyPatiently(
  request: UploadRequest,
  bytes: Uint8Array,
  deps: PipelineDeps,
  signal: AbortSignal,
): Promise<ClassifyResponse> {
  let internalFailures = 0;
  for (let attempt = 1; ; attempt++) {
    const stop = deps.metrics.triageLatency.startTimer();
    try {
      const response = await deps.triage.call(
        "classify",
        {
          eventId: request.eventId,
          imageId: request.imageId,
          content: bytes,
          policy: request.policy === "strict" ? Policy.STRICT : Policy.DEFAULT,
          mode: AnalysisMode.ADAPTIVE,
        },
        { deadlineMs: deps.triageDeadlineMs, signal },
      );
      stop({ outcome: "ok" });
      return response;
    } catch (error) {
      const e = MirageError.from(error, "triage-failed");
      stop({ outcome: transientCodes.has(e.code) ? "unavailable" : "error" });
      if (signal.aborted) throw e;
      if (e.code === "INTERNAL" && ++internalFailures < maxInternalAttempts) {
        await pause(backoffMs(attempt), signal);
        continue;
      }
      if (!transientCodes.has(e.code)) throw e;
      deps.log.warn(
        { eventId: request.eventId, attempt, code: e.code, reason: e.reason },
        "triage unavailable; retrying",
      );
      await pause(backoffMs(attempt), signal);
    }
  }
}

async function analyzeOrFallBack(
  request: UploadRequest,
  bytes: Uint8Array,
  triage: ClassifyResponse,
  deps: PipelineDeps,
  signal: AbortSignal,
): Promise<Verdict | null> {
  if (!deps.breaker.allow()) {
    deps.metrics.reasoningFallbacks.inc({ reason: "circuit-open" });
    return null;
  }
  const stop = deps.metrics.reasoningLatency.startTimer();
  try {
    const { verdict } = await deps.reasoning.call(
      "analyze",
      {
        eventId: request.eventId,
        imageId: request.imageId,
        content: bytes,
        policy: request.policy === "strict" ? Policy.STRICT : Policy.DEFAULT,
        mode: AnalysisMode.ADAPTIVE,
        triage,
      },
      { deadlineMs: deps.reasoningDeadlineMs, signal },
    );
    if (!verdict)
      throw new MirageError("INTERNAL", "reasoning answered without a verdict", {
        reason: "reasoning-empty",
      });
    deps.breaker.success();
    stop({ outcome: "ok" });
    return verdict;
  } catch (error) {
    const e = MirageError.from(error, "reasoning-failed");
    if (signal.aborted) throw e;
    stop({ outcome: "error" });
    // A rejected image is the image's fault, not the tier's.
    if (e.code !== "INVALID_ARGUMENT") deps.breaker.failure();
    deps.metrics.reasoningFallbacks.inc({ reason: fallbackReason(e) });
    deps.log.warn(
      { eventId: request.eventId, code: e.code, reason: e.reason },
      "reasoning failed; falling back to NEEDS_REVIEW",
    );
    return null;
  }
}

function imageIdOf(value: Buffer | null): string | null {
  try {
    const parsed: unknown = value ? JSON.parse(value.toString("utf8")) : null;
    const id = parsed && typeof parsed === "object" ? (parsed as { imageId?: unknown }).imageId : undefined;
    return typeof id === "string" && id.length > 0 ? id : null;
  } catch {
    return null; // not JSON: the dead letter goes without a key
  }
}

function backoffMs(attempt: number): number {
  return Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
