import { MirageError } from "@mirage/errors";
import { c2paEvidence } from "./c2pa-evidence.js";
import { cameraExifEvidence } from "./camera-exif.js";
import { findGeneratorMetadata } from "./generator-metadata.js";
import { c2paMediaType } from "./internal/container-format.js";
import { C2paReaderFailure, readC2paManifestStore } from "./internal/c2pa-worker.js";
import type { ExifFacts } from "./internal/exif-facts.js";
import { readExif } from "./internal/exif-facts.js";
import type { ExtractedMetadata } from "./internal/extract-metadata.js";
import { extractContainerMetadata } from "./internal/extract-metadata.js";
import { readXmp } from "./internal/xmp-facts.js";
import { digitalSourceTypeEvidence } from "./iptc-source-type.js";
import { decodeSdWatermark } from "./sd-watermark.js";
import type {
  ProvenanceEvidence,
  ProvenanceOptions,
  ProvenanceReport,
  ResolvedProvenanceOptions,
} from "./types.js";
import { resolveProvenanceOptions } from "./types.js";
import { watermarkEvidence } from "./watermark-evidence.js";

/**
 * Reads every provenance signal of one image file: C2PA manifests, IPTC DigitalSourceType in XMP,
 * generator metadata, the Stable Diffusion invisible watermark (when `options.pixels` is given)
 * and camera EXIF. Malformed metadata never throws: it is skipped and named in `problems`.
 * Throws MirageError INVALID_ARGUMENT only for unusable input (over `maxBytes`, pixels that do not
 * match their dimensions).
 */
export async function analyzeProvenance(
  bytes: Uint8Array,
  options: ProvenanceOptions = {},
): Promise<ProvenanceReport> {
  const resolved = resolveProvenanceOptions(options);
  validateInput(bytes, resolved);
  const metadata = extractContainerMetadata(bytes, {
    maxBlockBytes: resolved.maxMetadataBytes,
    maxTotalBytes: 4 * resolved.maxMetadataBytes,
    maxEntries: 2048,
  });
  const problems = [...metadata.problems];
  const evidence: ProvenanceEvidence[] = [];

  const c2pa = await readC2pa(bytes, metadata, resolved, problems);
  if (c2pa !== undefined) evidence.push(c2pa);

  const exif = await readAllExif(bytes, metadata, problems);
  const xmp = await readXmp([...metadata.xmpPackets, ...exif.xmpPackets], problems);

  const iptc = digitalSourceTypeEvidence(xmp.digitalSourceType);
  if (iptc !== undefined) evidence.push(iptc);

  evidence.push(...findGeneratorMetadata({ texts: metadata.texts, exif: exif.facts, xmp }, problems));

  if (resolved.pixels !== undefined) {
    const finding = decodeSdWatermark(resolved.pixels);
    if (finding !== null) evidence.push(watermarkEvidence(finding));
  }

  const camera = cameraExifEvidence(exif.facts);
  if (camera !== undefined) evidence.push(camera);

  return { evidence, decisiveAi: evidence.some((item) => item.decisive), problems };
}

function validateInput(bytes: Uint8Array, options: ResolvedProvenanceOptions): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new MirageError("INVALID_ARGUMENT", "provenance analysis needs the file as a Uint8Array", {
      reason: "invalid-input",
    });
  }
  if (bytes.byteLength > options.maxBytes) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `image is ${bytes.byteLength} bytes, more than the provenance limit of ${options.maxBytes}`,
      {
        reason: "image-too-large",
        details: { bytes: bytes.byteLength, limit: options.maxBytes },
      },
    );
  }
  const pixels = options.pixels;
  if (pixels !== undefined) {
    const { width, height, data } = pixels;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width <= 0 ||
      height <= 0 ||
      pixels.channels !== 3 ||
      data.length !== width * height * 3
    ) {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `pixels do not match their dimensions: ${data.length} bytes for ${width}×${height}×${pixels.channels}`,
        {
          reason: "invalid-pixels",
          details: { width, height, bytes: data.length },
        },
      );
    }
  }
}

async function readC2pa(
  bytes: Uint8Array,
  metadata: ExtractedMetadata,
  options: ResolvedProvenanceOptions,
  problems: string[],
): Promise<ProvenanceEvidence | undefined> {
  if (metadata.c2paBytes === 0) return undefined;
  const mediaType = c2paMediaType(metadata.format);
  if (mediaType === undefined) return undefined;
  // TIFF/HEIF/AVIF count the whole file; the container walkers count the store itself.
  const storeLimit = metadata.c2paBytes === bytes.length ? options.maxBytes : options.maxMetadataBytes;
  if (metadata.c2paBytes > storeLimit) {
    problems.push(
      `C2PA manifest store is ${metadata.c2paBytes} bytes, over the ${storeLimit}-byte limit: not read`,
    );
    return undefined;
  }
  let result;
  try {
    result = await readC2paManifestStore(mediaType, bytes, options.c2paTimeoutMs);
  } catch (error) {
    if (error instanceof C2paReaderFailure) {
      problems.push(error.message);
      return undefined;
    }
    throw MirageError.from(error, "c2pa-reader-failed");
  }
  if (!result.ok) {
    problems.push(describeC2paError(result.message));
    return undefined;
  }
  const outcome = c2paEvidence(result.json);
  if ("problem" in outcome) {
    problems.push(outcome.problem);
    return undefined;
  }
  return outcome;
}

/** c2pa-rs errors read like "C2pa(PrereleaseError)": say what they mean. */
function describeC2paError(message: string): string {
  if (/JumbfNotFound/.test(message))
    return "C2PA marker found but no manifest store could be located (JUMBF not found)";
  if (/PrereleaseError/.test(message))
    return "C2PA manifest was written by a pre-release version of the specification and cannot be validated";
  return `C2PA manifest could not be read (${message.slice(0, 300)})`;
}

async function readAllExif(
  bytes: Uint8Array,
  metadata: ExtractedMetadata,
  problems: string[],
): Promise<{ facts: ExifFacts; xmpPackets: Uint8Array[] }> {
  const facts: ExifFacts = {};
  const xmpPackets: Uint8Array[] = [];
  const inputs = metadata.exifrReadsWholeFile
    ? [{ input: bytes, wholeFile: true }]
    : metadata.exifBlocks.map((block) => ({ input: block, wholeFile: false }));
  for (const { input, wholeFile } of inputs) {
    const result = await readExif(input, wholeFile, problems);
    // The first block that has a field wins.
    for (const [key, value] of Object.entries(result.facts) as [keyof ExifFacts, never][])
      facts[key] ??= value;
    xmpPackets.push(...result.xmpPackets);
  }
  return { facts, xmpPackets };
}
