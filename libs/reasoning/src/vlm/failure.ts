import { MirageError, type ErrorCode } from "@mirage/errors";

/**
 * Why a VLM gave no usable answer. Each is a stable reason: the fallback verdict's `vlm` evidence
 * and its CONCLUSION step name it, and the service logs it.
 */
export const vlmFailureReasons = [
  "vlm-timeout",
  "vlm-unavailable",
  "vlm-http-error",
  "vlm-malformed-answer",
  "vlm-refused",
  "vlm-answer-too-long",
  "vlm-failed",
] as const;

/** One of {@link vlmFailureReasons}. */
export type VlmFailureReason = (typeof vlmFailureReasons)[number];

// The code each reason would carry across a service boundary (it never does today: a failure
// becomes the forensic verdict), chosen so that logs read right.
const codes: Record<VlmFailureReason, ErrorCode> = {
  "vlm-timeout": "DEADLINE_EXCEEDED",
  "vlm-unavailable": "UNAVAILABLE",
  "vlm-http-error": "UNAVAILABLE",
  "vlm-malformed-answer": "INTERNAL",
  "vlm-refused": "FAILED_PRECONDITION",
  "vlm-answer-too-long": "RESOURCE_EXHAUSTED",
  "vlm-failed": "INTERNAL",
};

/** A VLM failure as a MirageError with its stable reason. */
export function vlmFailure(
  reason: VlmFailureReason,
  message: string,
  options: { cause?: unknown; details?: Record<string, string | number | boolean> } = {},
): MirageError {
  return new MirageError(codes[reason], message, { reason, ...options });
}

/** The caller gave up (its signal fired): thrown, like the forensic reasoner does. */
export function reasoningAborted(signal: AbortSignal, where: string): MirageError {
  return new MirageError("DEADLINE_EXCEEDED", `reasoning aborted ${where}`, {
    reason: "reasoning-aborted",
    cause: signal.reason,
    details: { where },
  });
}
