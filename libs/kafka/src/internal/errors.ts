/** Turns what kafkajs throws into a MirageError that names the operation. */
import { MirageError } from "@mirage/errors";

/** Wraps a kafkajs failure as UNAVAILABLE with `reason`, keeping the original as `cause`. */
export function kafkaFailure(
  error: unknown,
  reason: string,
  what: string,
  details: Record<string, string | number | boolean> = {},
): MirageError {
  if (error instanceof MirageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MirageError("UNAVAILABLE", `${what}: ${message}`, { reason, cause: error, details });
}

/** kafkajs' own test for "the group is rebalancing; rejoin" (its isRebalancing is not exported). */
export function isRebalancing(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return (
    type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" || type === "ILLEGAL_GENERATION"
  );
}
