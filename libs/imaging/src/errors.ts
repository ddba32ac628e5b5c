import { MirageError } from "@mirage/errors";

/**
 * Every `reason` that {@link decodeImage}, {@link probeImage} and the re-encodings throw. Dead
 * letters and CLI output carry them, so they are stable: add, never rename.
 */
export const imagingErrorReasons = [
  /** Zero bytes. */
  "empty-image",
  /** More bytes than `maxBytes`. */
  "image-too-large",
  /** The header declares more than `maxPixels` pixels or a side longer than `maxDimension`. */
  "image-too-many-pixels",
  /** Not JPEG, PNG, WebP, AVIF, TIFF or GIF (SVG, PDF, HEIC, BMP, raw, ...). */
  "unsupported-format",
  /** Truncated or corrupt data, or a header that contradicts itself. */
  "undecodable-image",
  /** The decode ran past `timeoutMs` (code DEADLINE_EXCEEDED). */
  "decode-timeout",
  /** The limits passed in are not positive integers within the hard ceilings. */
  "invalid-decode-limits",
  /** A JPEG quality outside 1..100. */
  "invalid-jpeg-quality",
  /** A perturbation spec names a step that does not exist. */
  "unknown-perturbation",
] as const;

/** One of {@link imagingErrorReasons}. */
export type ImagingErrorReason = (typeof imagingErrorReasons)[number];

/** Facts attached to an imaging error (format, width, height, limit, ...). */
export type ImagingErrorDetails = Record<string, string | number | boolean>;

/** Builds the MirageError for `reason`: INVALID_ARGUMENT, or DEADLINE_EXCEEDED for a timeout. */
export function imagingError(
  reason: ImagingErrorReason,
  message: string,
  details: ImagingErrorDetails,
  cause?: unknown,
): MirageError {
  const code = reason === "decode-timeout" ? "DEADLINE_EXCEEDED" : "INVALID_ARGUMENT";
  return new MirageError(
    code,
    message,
    cause === undefined ? { reason, details } : { reason, details, cause },
  );
}
