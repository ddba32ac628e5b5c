import type { Reasoner } from "./reasoner.js";

/** Time kept back from a caller's deadline to send the verdict back. Default of {@link withDeadline}. */
export const DEFAULT_SEND_RESERVE_MS = 200;

/**
 * The reasoner with a caller's absolute deadline (a gRPC call's) turned into each analysis's
 * `budgetMs`, less `reserveMs` to send the verdict back: the forensic examination then concludes
 * with what it has rather than run past it, and the VLM backend gives up on the VLM in time to
 * return the forensic verdict. A budget the caller set itself wins; no deadline changes nothing.
 */
export function withDeadline(
  reasoner: Reasoner,
  deadline: Date | number | undefined,
  reserveMs = DEFAULT_SEND_RESERVE_MS,
): Reasoner {
  if (deadline === undefined) return reasoner;
  const at = typeof deadline === "number" ? deadline : deadline.getTime();
  if (!Number.isFinite(at)) return reasoner;
  return {
    version: reasoner.version,
    thresholds: reasoner.thresholds,
    analyze: (input, options = {}) =>
      reasoner.analyze(input, {
        ...options,
        budgetMs: options.budgetMs ?? Math.max(0, at - Date.now() - reserveMs),
      }),
  };
}
