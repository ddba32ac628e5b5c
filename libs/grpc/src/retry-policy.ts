import type { DescService } from "@bufbuild/protobuf";
import { MirageError } from "@mirage/errors";

/**
 * Retries of calls that failed with UNAVAILABLE (the server was not reached, or said it cannot take
 * the call now). Nothing else is retried: every other failure either says something about the
 * request or happened after the server may have done the work.
 */
export interface RetryOptions {
  /** Attempts in all, first one included: 1 turns retries off, grpc-js allows at most 5. Default 3. */
  maxAttempts?: number;
  /** Backoff before the first retry (randomised by grpc-js up to this). Default 100 ms. */
  initialBackoffMs?: number;
  /** Longest backoff. Default 1000 ms. */
  maxBackoffMs?: number;
  /** Growth of the backoff per retry. Default 2. */
  backoffMultiplier?: number;
}

// The service config's durations are decimal seconds with an "s".
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/**
 * The grpc-js service config (`grpc.service_config`) retrying UNAVAILABLE for every method of
 * `service`, or undefined when retries are off.
 */
export function retryServiceConfig(service: DescService, options: RetryOptions = {}): string | undefined {
  const maxAttempts = options.maxAttempts ?? 3;
  const initialBackoffMs = options.initialBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 1000;
  const backoffMultiplier = options.backoffMultiplier ?? 2;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 5) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `retry.maxAttempts must be an integer in 1..5, got ${maxAttempts}`,
      {
        reason: "invalid-retry-options",
      },
    );
  }
  if (!(initialBackoffMs > 0 && maxBackoffMs >= initialBackoffMs && backoffMultiplier >= 1)) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `retry backoff must satisfy 0 < initialBackoffMs <= maxBackoffMs and backoffMultiplier >= 1`,
      { reason: "invalid-retry-options", details: { initialBackoffMs, maxBackoffMs, backoffMultiplier } },
    );
  }
  if (maxAttempts === 1) return undefined;
  return JSON.stringify({
    methodConfig: [
      {
        name: [{ service: service.typeName }],
        retryPolicy: {
          maxAttempts,
          initialBackoff: seconds(initialBackoffMs),
          maxBackoff: seconds(maxBackoffMs),
          backoffMultiplier,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
    ],
  });
}
