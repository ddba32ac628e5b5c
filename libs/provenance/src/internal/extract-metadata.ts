import { containsAscii } from "./bytes.js";
import type { ContainerFormat } from "./container-format.js";
import { sniffContainer } from "./container-format.js";
import type { ContainerMetadata, MetadataLimits } from "./container-metadata.js";
import { MetadataCollector } from "./container-metadata.js";
import { walkJpeg } from "./jpeg-segments.js";
import { walkPng } from "./png-chunks.js";
import { walkWebp } from "./riff-chunks.js";

/** What {@link extractContainerMetadata} returns: the blocks, and how to read the rest. */
export interface ExtractedMetadata extends ContainerMetadata {
  /** TIFF, HEIF and AVIF keep EXIF/XMP in their own structures: exifr reads the whole file. */
  exifrReadsWholeFile: boolean;
}

const walkers: Partial<Record<ContainerFormat, (bytes: Uint8Array, collector: MetadataCollector) => void>> = {
  jpeg: walkJpeg,
  png: walkPng,
  webp: walkWebp,
};

/**
 * Finds the metadata blocks of a JPEG, PNG or WebP file with bounded walkers; for TIFF, HEIF and
 * AVIF it only notes whether a C2PA store may be present. Never throws for malformed input: what
 * was wrong is in `problems`.
 */
export function extractContainerMetadata(bytes: Uint8Array, limits: MetadataLimits): ExtractedMetadata {
  const format = sniffContainer(bytes);
  const collector = new MetadataCollector(format, limits);
  const walk = walkers[format];
  if (walk !== undefined) {
    walk(bytes, collector);
  } else if (format === "unknown") {
    collector.problem(
      "not a recognised image container (JPEG, PNG, WebP, GIF, TIFF, HEIF, AVIF): no metadata read",
    );
  } else if (containsAscii(bytes, "jumb") && containsAscii(bytes, "c2pa")) {
    // The C2PA SDK locates the store itself in these formats.
    collector.addC2pa(bytes.length);
  }
  return {
    ...collector.result,
    exifrReadsWholeFile: format === "tiff" || format === "heif" || format === "avif",
  };
}
