import { MirageError } from "@mirage/errors";

/**
 * Stops the examination between stages (and between batches of crops) once the caller's signal
 * has fired: the gateway's deadline passed or the client went away, so further work is waste.
 */
export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (!signal?.aborted) return;
  throw new MirageError("DEADLINE_EXCEEDED", `reasoning aborted before ${where}`, {
    reason: "reasoning-aborted",
    cause: signal.reason,
    details: { where },
  });
}
