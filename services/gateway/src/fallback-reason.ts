import type { MirageError } from "@mirage/errors";

/**
 * The `reason` label of `mirage_reasoning_fallback_total` for a failed reasoning call: a caller
 * deadline, a tier refusing work because its queue is full (scale it out), or a tier that is down.
 */
export function fallbackReason(error: Pick<MirageError, "code">): "deadline" | "overloaded" | "unavailable" {
  if (error.code === "DEADLINE_EXCEEDED") return "deadline";
  if (error.code === "RESOURCE_EXHAUSTED") return "overloaded";
  return "unavailable";
}
