import {
  AnalysisMode,
  Policy,
  type AnalyzeRequest,
  type ReasoningStep,
  type Verdict,
} from "@mirage/contracts";
import type { Detector, Semaphore } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import type { Reasoner, ReasoningModeName } from "@mirage/reasoning";
import { withSpan, type Metrics } from "@mirage/telemetry";
import { trace } from "@opentelemetry/api";

const tracer = trace.getTracer("@mirage/service-reasoning");

/** Dependencies of the reasoning handlers. */
export interface AnalyzeDeps {
  detector: Detector;
  reasoner: Reasoner;
  metrics: Metrics;
  semaphore: Semaphore;
}

const modeNames: Record<AnalysisMode, ReasoningModeName> = {
  [AnalysisMode.UNSPECIFIED]: "adaptive",
  [AnalysisMode.QUICK]: "quick",
  [AnalysisMode.ADAPTIVE]: "adaptive",
  [AnalysisMode.DEEP]: "deep",
};

/**
 * Examines one image: triage's detection is made again here on the same bytes (it is cheap next
 * to the examination, and gives the examination the decoded pixels), then the reflective stages.
 * Steps go to `onStep` as they are made.
 */
export async function analyze(
  request: Pick<AnalyzeRequest, "content" | "imageId" | "policy" | "mode">,
  deps: AnalyzeDeps,
  signal: AbortSignal,
  onStep?: (step: ReasoningStep) => void,
): Promise<Verdict> {
  if (request.content.byteLength === 0) {
    throw new MirageError("INVALID_ARGUMENT", "the request carries no image bytes", {
      reason: "empty-image",
    });
  }
  const stopTimer = deps.metrics.reasoningLatency.startTimer();
  try {
    // A caller that gives up while queued leaves the queue at once (the semaphore watches its signal).
    const verdict = await deps.semaphore.run(
      () =>
        withSpan(
          tracer,
          "reasoning.analyze",
          { attributes: { "mirage.image_id": request.imageId } },
          async () => {
            if (signal.aborted)
              throw new MirageError(
                "DEADLINE_EXCEEDED",
                "the caller gave up before the examination started",
                {
                  reason: "reasoning-aborted",
                },
              );
            const policy = request.policy === Policy.STRICT ? "strict" : "default";
            const detection = await deps.detector.detect(request.content, { policy });
            return deps.reasoner.analyze(
              { bytes: request.content, detection, mode: modeNames[request.mode], policy },
              { signal, ...(onStep ? { onStep } : {}) },
            );
          },
        ),
      { signal },
    );
    stopTimer({ outcome: "ok" });
    return verdict;
  } catch (error) {
    const e = MirageError.from(error, "reasoning-failed");
    stopTimer({ outcome: outcomeOf(e, signal.aborted) });
    throw e;
  }
}

/**
 * The latency histogram's outcome of a failed call: a bad image, a refusal under load and a caller
 * that gave up (queued or examined) are told apart from the service's own failures.
 */
function outcomeOf(error: MirageError, callerGone: boolean): string {
  if (error.code === "INVALID_ARGUMENT") return "rejected";
  if (error.reason === "reasoning-overloaded") return "overloaded";
  if (callerGone || error.reason === "abandoned-in-queue") return "abandoned";
  return "error";
}
