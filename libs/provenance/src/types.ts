import type { RgbPixels } from "./internal/dwt-dct-votes.js";

/** The provenance signals (DESIGN.md, Detection 1). */
export type ProvenanceKind = "c2pa" | "iptc" | "generator-metadata" | "watermark" | "camera-exif";

/** One positive finding. */
export interface ProvenanceEvidence {
  kind: ProvenanceKind;
  /** One human sentence that names what was found and where. */
  summary: string;
  /** Signed strength in [-1, 1]: + speaks for AI, − for a real photo; 1 = decisive AI. */
  weight: number;
  /** True when this finding alone settles AI_GENERATED. */
  decisive: boolean;
  /** Structured facts: signer, validation, generator, software, camera make/model, bits matched… */
  details: Record<string, string>;
}

/** What {@link analyzeProvenance} found in one file. */
export interface ProvenanceReport {
  /** Positive findings only: missing metadata is never evidence. */
  evidence: ProvenanceEvidence[];
  /** True when any evidence is decisive. */
  decisiveAi: boolean;
  /** Non-fatal problems (malformed C2PA, broken EXIF, truncated chunks…): reported, never evidence. */
  problems: string[];
}

/** Options of {@link analyzeProvenance}; every field is optional. */
export interface ProvenanceOptions {
  /**
   * Decoded RGB pixels (from `@mirage/imaging` `decodeImage`) for the invisible-watermark decoder.
   * Without them the watermark is not checked.
   */
  pixels?: RgbPixels;
  /** Cap for any single metadata block parsed or inflated. Default 8 MiB. */
  maxMetadataBytes?: number;
  /** Largest file accepted; larger input throws INVALID_ARGUMENT. Default 64 MiB. */
  maxBytes?: number;
  /** Budget for reading and validating a C2PA manifest store. Default 10 s. */
  c2paTimeoutMs?: number;
}

/** {@link ProvenanceOptions} with the defaults filled in. */
export interface ResolvedProvenanceOptions {
  pixels: RgbPixels | undefined;
  maxMetadataBytes: number;
  maxBytes: number;
  c2paTimeoutMs: number;
}

/** The defaults of {@link ProvenanceOptions}. */
export const defaultProvenanceOptions = {
  maxMetadataBytes: 8 * 1024 * 1024,
  maxBytes: 64 * 1024 * 1024,
  c2paTimeoutMs: 10_000,
} as const;

/** Fills the defaults of {@link ProvenanceOptions}. */
export function resolveProvenanceOptions(options: ProvenanceOptions = {}): ResolvedProvenanceOptions {
  return {
    pixels: options.pixels,
    maxMetadataBytes: options.maxMetadataBytes ?? defaultProvenanceOptions.maxMetadataBytes,
    maxBytes: options.maxBytes ?? defaultProvenanceOptions.maxBytes,
    c2paTimeoutMs: options.c2paTimeoutMs ?? defaultProvenanceOptions.c2paTimeoutMs,
  };
}
