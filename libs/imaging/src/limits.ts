import { imagingError } from "./errors.js";

/** Limits every decode runs under; hostile uploads are the normal case. */
export interface DecodeLimits {
  /** Largest accepted file, in bytes. Default 50 MiB. */
  maxBytes: number;
  /** Largest accepted image, in pixels (width × height), checked from the header before decoding. Default 64 MP. */
  maxPixels: number;
  /** Longest accepted side, in pixels, checked from the header before decoding. Default 20,000. */
  maxDimension: number;
  /** Wall-clock budget for one decode (header and pixels), in milliseconds. Default 10 s. */
  timeoutMs: number;
}

/** Defaults that run on one machine. */
export const defaultDecodeLimits: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 64_000_000,
  maxDimension: 20_000,
  timeoutMs: 10_000,
});

/**
 * Hard ceilings no caller may raise a limit above. libvips crashes the process (a native double
 * free) when asked to decode a JPEG that claims 65500×65500, so the pixel ceiling stays at sharp's
 * own default (0x3FFF²), far from any 32-bit size overflow.
 */
export const decodeLimitCeilings: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 1024 * 1024 * 1024,
  maxPixels: 0x3fff * 0x3fff,
  maxDimension: 65_000,
  timeoutMs: 10 * 60 * 1000,
});

const limitNames = ["maxBytes", "maxPixels", "maxDimension", "timeoutMs"] as const;

/** Fills in the defaults and checks each limit is a positive integer under its ceiling. */
export function resolveDecodeLimits(limits: Partial<DecodeLimits> = {}): DecodeLimits {
  const resolved: DecodeLimits = { ...defaultDecodeLimits };
  for (const name of limitNames) {
    const value = limits[name];
    if (value === undefined) continue;
    const ceiling = decodeLimitCeilings[name];
    if (!Number.isSafeInteger(value) || value <= 0 || value > ceiling) {
      throw imagingError(
        "invalid-decode-limits",
        `decode limit ${name} must be an integer in 1..${ceiling}, got ${String(value)}`,
        {
          limit: name,
          value: String(value),
          ceiling,
        },
      );
    }
    resolved[name] = value;
  }
  return resolved;
}
