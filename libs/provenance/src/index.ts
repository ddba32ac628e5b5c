/**
 * Provenance signals of an image file, cheapest first: C2PA manifests, IPTC DigitalSourceType,
 * generator metadata, the Stable Diffusion invisible watermark and camera EXIF.
 *
 * ```ts
 * import { decodeImage } from "@mirage/imaging";
 * import { analyzeProvenance } from "@mirage/provenance";
 * const pixels = await decodeImage(bytes);
 * const report = await analyzeProvenance(bytes, { pixels });
 * if (report.decisiveAi) console.log(report.evidence.find((e) => e.decisive)?.summary);
 * ```
 */
export { analyzeProvenance } from "./analyze.js";
export { decodeSdWatermark, inspectSdWatermark, sdWatermarkPatterns } from "./sd-watermark.js";
export type {
  DwtDctEmbedding,
  RgbPixels,
  SdWatermarkInspection,
  SdWatermarkName,
  SdWatermarkPattern,
  WatermarkFinding,
} from "./sd-watermark.js";
export { defaultProvenanceOptions } from "./types.js";
export type { ProvenanceEvidence, ProvenanceKind, ProvenanceOptions, ProvenanceReport } from "./types.js";
