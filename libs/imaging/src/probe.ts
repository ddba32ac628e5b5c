import { isMirageError } from "@mirage/errors";
import type { Metadata } from "sharp";
import { imagingError } from "./errors.js";
import { Deadline } from "./internal/deadline.js";
import { isSrgbProfile } from "./internal/icc-profile.js";
import { pngStructureProblem } from "./internal/png-check.js";
import { sharp, vipsMessage } from "./internal/sharp.js";
import { sniffFormat } from "./internal/sniff.js";
import { resolveDecodeLimits, type DecodeLimits } from "./limits.js";

/** Formats the pipeline decodes (the first frame of animated ones). */
export type ImageFormat = "jpeg" | "png" | "webp" | "avif" | "tiff" | "gif";

/** What the header says, read without decoding pixels. */
export interface ImageProbe {
  format: ImageFormat;
  /** Width as stored in the file, before EXIF orientation (first frame or page). */
  width: number;
  /** Height as stored in the file, before EXIF orientation (first frame or page). */
  height: number;
  /** EXIF orientation 1–8 (1 when absent); 5–8 swap width and height once applied. */
  orientation: number;
  /** Frames (GIF, WebP) or pages (TIFF); 1 for a still image. Only the first is ever decoded. */
  pages: number;
  /** Whether the image has an alpha channel (decoding flattens it on white). */
  hasAlpha: boolean;
  /** Size of the file in bytes. */
  bytes: number;
}

/** A probe plus what the decoder needs to pick its path. */
export interface ImageHeader extends ImageProbe {
  /** Bits per sample as stored (10 or 12 for high-bit-depth AVIF). */
  bitsPerSample: number;
  /**
   * 8-bit samples under an embedded ICC profile that is sRGB's (see {@link isSrgbProfile}):
   * converting them to sRGB would change nothing.
   */
  alreadySrgb: boolean;
}

const acceptedFormats = new Set<string>(["jpeg", "png", "webp", "tiff", "gif"]);

/**
 * Reads the header of `bytes` under `limits` and refuses what must not be decoded: checks the
 * byte size, the signature, the PNG structure, then the dimensions that the header declares
 * (`sharp().metadata()` reads only the header). Throws MirageError (see {@link imagingErrorReasons}).
 */
export async function probeImage(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<ImageProbe> {
  const lim = resolveDecodeLimits(limits);
  const header = await readHeader(bytes, lim, new Deadline(lim.timeoutMs));
  return {
    format: header.format,
    width: header.width,
    height: header.height,
    orientation: header.orientation,
    pages: header.pages,
    hasAlpha: header.hasAlpha,
    bytes: header.bytes,
  };
}

/** {@link probeImage} with resolved limits and a deadline shared with the decode that follows. */
export async function readHeader(
  bytes: Uint8Array,
  lim: DecodeLimits,
  deadline: Deadline,
): Promise<ImageHeader> {
  if (bytes.byteLength === 0) {
    throw imagingError("empty-image", "image is empty (0 bytes)", { bytes: 0 });
  }
  if (bytes.byteLength > lim.maxBytes) {
    throw imagingError(
      "image-too-large",
      `image is ${bytes.byteLength} bytes, more than the limit of ${lim.maxBytes}`,
      {
        bytes: bytes.byteLength,
        limit: lim.maxBytes,
      },
    );
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed === undefined) {
    throw imagingError(
      "unsupported-format",
      "not a JPEG, PNG, WebP, AVIF, TIFF or GIF file (unrecognised signature)",
      {
        bytes: bytes.byteLength,
      },
    );
  }
  if ("refused" in sniffed) throw refusedFormat(sniffed.refused, bytes.byteLength);
  if (sniffed.accepted === "png") {
    const problem = pngStructureProblem(bytes);
    if (problem !== undefined) {
      throw imagingError("undecodable-image", `png image is malformed: ${problem}`, {
        format: "png",
        bytes: bytes.byteLength,
      });
    }
  }

  // Dimensions are checked by us against the header, so the metadata call itself runs unlimited:
  // with a pixel limit it would refuse a lying header without telling us its dimensions.
  // ISO-BMFF is AVIF unless its header says HEVC, which headerFormat refuses below.
  const container = sniffed.accepted === "isobmff" ? "avif" : sniffed.accepted;
  let meta: Metadata;
  try {
    meta = await deadline.race(sharp(bytes, { limitInputPixels: false }).metadata(), () =>
      timeoutError(deadline, container),
    );
  } catch (error) {
    if (isMirageError(error)) throw error;
    throw imagingError(
      "undecodable-image",
      `${container} header could not be read (truncated or corrupt): ${vipsMessage(error)}`,
      { format: container, bytes: bytes.byteLength },
      error,
    );
  }

  const format = headerFormat(meta, bytes.byteLength);
  const width = meta.width;
  const height = meta.height;
  if (!(width > 0 && height > 0)) {
    throw imagingError("undecodable-image", `${format} header declares no valid dimensions`, {
      format,
      bytes: bytes.byteLength,
    });
  }
  const facts = { format, width, height, bytes: bytes.byteLength };
  if (Math.max(width, height) > lim.maxDimension) {
    throw imagingError(
      "image-too-many-pixels",
      `${format} image is ${width}×${height}: a side is longer than the limit of ${lim.maxDimension} px (refused before decoding)`,
      { ...facts, limit: lim.maxDimension, limitName: "maxDimension" },
    );
  }
  if (width * height > lim.maxPixels) {
    throw imagingError(
      "image-too-many-pixels",
      `${format} image is ${width}×${height} = ${width * height} pixels, more than the limit of ${lim.maxPixels} (refused before decoding)`,
      { ...facts, pixels: width * height, limit: lim.maxPixels, limitName: "maxPixels" },
    );
  }
  return {
    ...facts,
    orientation:
      meta.orientation !== undefined && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1,
    pages: meta.pages ?? 1,
    hasAlpha: meta.hasAlpha,
    bitsPerSample: meta.bitsPerSample ?? 8,
    alreadySrgb: meta.depth === "uchar" && meta.icc !== undefined && isSrgbProfile(meta.icc),
  };
}

/** Maps libvips' loader name to ours; HEIF carrying HEVC (HEIC) and anything else is refused. */
function headerFormat(meta: Metadata, size: number): ImageFormat {
  if (meta.format === "heif") {
    if (meta.compression === "av1") return "avif";
    if (meta.compression === "hevc") throw refusedFormat("HEIC", size);
    throw imagingError(
      "unsupported-format",
      `HEIF image with ${meta.compression ?? "unknown"} compression is not supported (only AVIF)`,
      {
        format: "heif",
        compression: meta.compression ?? "unknown",
        bytes: size,
      },
    );
  }
  if (acceptedFormats.has(meta.format)) return meta.format as ImageFormat;
  // The signature said one of ours but libvips picked another loader: never decode it.
  throw imagingError("unsupported-format", `${meta.format} images are not supported`, {
    format: meta.format,
    bytes: size,
  });
}

function refusedFormat(name: string, size: number) {
  const why =
    name === "HEIC"
      ? "HEIC/HEIF (HEVC) images are not supported: the bundled libvips cannot decode HEVC; convert to JPEG, PNG or AVIF"
      : `${name} is not supported: only JPEG, PNG, WebP, AVIF, TIFF and GIF are decoded`;
  return imagingError("unsupported-format", why, { format: name.toLowerCase(), bytes: size });
}

/** The error for a budget spent while reading the header or the pixels. */
export function timeoutError(deadline: Deadline, format: string) {
  return imagingError(
    "decode-timeout",
    `decoding the ${format} image took longer than ${deadline.budgetMs} ms`,
    {
      format,
      limit: deadline.budgetMs,
    },
  );
}
