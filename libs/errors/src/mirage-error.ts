/**
 * The closed set of error codes, aligned with gRPC status codes so that an error crosses a service
 * boundary without losing its meaning.
 */
export const errorCodes = [
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "DEADLINE_EXCEEDED",
  "UNIMPLEMENTED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;

/** One of {@link errorCodes}. */
export type ErrorCode = (typeof errorCodes)[number];

/** Options of {@link MirageError}. */
export interface MirageErrorOptions {
  /** A stable, machine-readable reason in kebab-case ("image-too-large"); dead letters carry it. */
  reason: string;
  /** The error that caused this one, if any. */
  cause?: unknown;
  /** Structured facts for logs and dead letters (sizes, limits, formats, hosts). */
  details?: Record<string, string | number | boolean>;
}

/**
 * The one error class of Mirage Mesh: a closed `code`, a stable `reason`, the original `cause` and
 * structured `details`. Use {@link MirageError.from} at a boundary to normalise what was caught.
 */
export class MirageError extends Error {
  override readonly name = "MirageError";
  readonly code: ErrorCode;
  readonly reason: string;
  readonly details: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, options: MirageErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.details = options.details ?? {};
  }

  /** Returns `error` if it is a MirageError, else wraps it as INTERNAL with `fallbackReason`. */
  static from(error: unknown, fallbackReason = "internal"): MirageError {
    if (error instanceof MirageError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new MirageError("INTERNAL", message, { reason: fallbackReason, cause: error });
  }
}

/** True when `error` is a MirageError, optionally with the given code. */
export function isMirageError(error: unknown, code?: ErrorCode): error is MirageError {
  return error instanceof MirageError && (code === undefined || error.code === code);
}
