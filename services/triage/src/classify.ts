import { create } from "@bufbuild/protobuf";
import {
  AnalysisMode,
  ClassifyResponseSchema,
  Policy,
  type ClassifyRequest,
  type ClassifyResponse,
} from "@mirage/contracts";
import type { Detector, Semaphore } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import type { Metrics } from "@mirage/telemetry";
import { withSpan } from "@mirage/telemetry";
import { trace } from "@opentelemetry/api";

const tracer = trace.getTracer("@mirage/service-triage");

/** Dependencies of the Classify handler. */
export interface ClassifyDeps {
  detector: Detector;
  metrics: Metrics;
  semaphore: Semaphore;
}

/**
 * TriageService.Classify: the shared detect() on the request's bytes. Bad images are
 * INVALID_ARGUMENT with the imaging reason (the gateway dead-letters them); an image whose
 * provenance decides is answered even when its pixels cannot be read.
 */
export async function classify(
  request: ClassifyRequest,
  deps: ClassifyDeps,
  signal: AbortSignal,
): Promise<ClassifyResponse> {
  if (request.content.byteLength === 0) {
    throw new MirageError("INVALID_ARGUMENT", "the request carries no image bytes", {
      reason: "empty-image",
    });
  }
  const stopTimer = deps.metrics.triageLatency.startTimer();
  try {
    const detection = await deps.semaphore.run(async () => {
      if (signal.aborted)
        throw new MirageError("DEADLINE_EXCEEDED", "the caller gave up before triage started", {
          reason: "triage-cancelled",
        });
      return withSpan(
        tracer,
        "triage.detect",
        { attributes: { "mirage.image_id": request.imageId, "mirage.bytes": request.content.byteLength } },
        () =>
          deps.detector.detect(request.content, {
            policy: request.policy === Policy.STRICT ? "strict" : "default",
          }),
      );
    });
    stopTimer({ outcome: "ok" });
    const { verdict, timings } = detection;
    return create(ClassifyResponseSchema, {
      pAi: verdict.pAi,
      band: detection.band,
      label: verdict.label,
      decidedBy: verdict.decidedBy,
      evidence: verdict.evidence,
      modelVersion: deps.detector.modelVersion,
      timings: {
        decodeMs: timings.decodeMs,
        provenanceMs: timings.provenanceMs,
        modelMs: timings.cropsMs + timings.modelMs,
        totalMs: timings.totalMs,
      },
      mode: request.mode === AnalysisMode.UNSPECIFIED ? AnalysisMode.ADAPTIVE : request.mode,
    });
  } catch (error) {
    const e = MirageError.from(error, "triage-failed");
    stopTimer({ outcome: e.code === "INVALID_ARGUMENT" ? "rejected" : "error" });
    throw e;
  }
}
