import * as grpc from "@grpc/grpc-js";
import { MirageError, errorCodes, type ErrorCode } from "@mirage/errors";

/** The metadata key that carries a MirageError's `reason` across the wire. */
export const errorReasonKey = "mirage-error-reason";
/** The metadata key that carries a MirageError's `details` as JSON across the wire. */
export const errorDetailsKey = "mirage-error-details";

// Headers have a size limit (grpc-js: 16 KiB in all by default); details are a courtesy, so they
// are dropped rather than risk losing the status itself.
const maxDetailsChars = 4096;

/** The gRPC status code of a MirageError code (the names are the same by design). */
export function grpcStatusOf(code: ErrorCode): grpc.status {
  return grpc.status[code];
}

// gRPC codes without a MirageError code of the same name, mapped to the nearest meaning.
const nearest: Partial<Record<grpc.status, ErrorCode>> = {
  [grpc.status.CANCELLED]: "UNAVAILABLE",
  [grpc.status.UNKNOWN]: "INTERNAL",
  [grpc.status.ALREADY_EXISTS]: "FAILED_PRECONDITION",
  [grpc.status.ABORTED]: "UNAVAILABLE",
  [grpc.status.OUT_OF_RANGE]: "INVALID_ARGUMENT",
  [grpc.status.DATA_LOSS]: "INTERNAL",
  [grpc.status.UNAUTHENTICATED]: "PERMISSION_DENIED",
};

/** The MirageError code of a gRPC status code. */
export function errorCodeOf(status: grpc.status): ErrorCode {
  const same = errorCodes.find((code) => grpc.status[code] === status);
  return same ?? nearest[status] ?? "INTERNAL";
}

// Metadata values must be printable ASCII; JSON escapes keep the text valid JSON.
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function printableReason(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, "?");
}

/**
 * The status a server sends for an error thrown by a handler: a MirageError keeps its code, message,
 * reason (metadata `mirage-error-reason`) and details (`mirage-error-details`); anything else is
 * INTERNAL with reason "internal".
 */
export function toServiceError(error: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const mirage = MirageError.from(error);
  const metadata = new grpc.Metadata();
  metadata.set(errorReasonKey, printableReason(mirage.reason));
  if (Object.keys(mirage.details).length > 0) {
    const details = asciiJson(mirage.details);
    if (details.length <= maxDetailsChars) metadata.set(errorDetailsKey, details);
  }
  return { code: grpcStatusOf(mirage.code), details: mirage.message, metadata };
}

function kebab(name: string): string {
  return name.toLowerCase().replace(/_/g, "-");
}

function parseDetails(raw: string | undefined): Record<string, string | number | boolean> {
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    const details: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        details[key] = value;
    }
    return details;
  } catch {
    // Malformed details from a foreign server: the status and reason still stand on their own.
    return {};
  }
}

function firstString(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === "string" ? value : undefined;
}

/** Where a failed call went, for the error's details. */
export interface CallSite {
  /** The gRPC path, "/mirage.v1.TriageService/Classify". */
  method: string;
  /** The target the client dialled. */
  address: string;
}

/**
 * The MirageError for a failed call's status: the mapped code, the server's reason and details
 * when it sent them (else reason `grpc-<status>`, e.g. "grpc-unavailable"), and where the call went.
 */
export function fromServiceError(error: grpc.ServiceError, site: CallSite): MirageError {
  const statusName = (grpc.status[error.code] as string | undefined) ?? `STATUS_${error.code}`;
  const reason = firstString(error.metadata, errorReasonKey) ?? `grpc-${kebab(statusName)}`;
  const details = {
    ...parseDetails(firstString(error.metadata, errorDetailsKey)),
    grpcStatus: statusName,
    method: site.method,
    address: site.address,
  };
  return new MirageError(errorCodeOf(error.code), `${site.method} at ${site.address}: ${error.details}`, {
    reason,
    cause: error,
    details,
  });
}
