import { isMirageError } from "@mirage/errors";
import { imagingError } from "./errors.js";
import { AvifFallbackError, avifHasTransform, decodeAvifFallback } from "./internal/avif-fallback.js";
import { Deadline } from "./internal/deadline.js";
import { sharp, vipsMessage } from "./internal/sharp.js";
import { resolveDecodeLimits, type DecodeLimits } from "./limits.js";
import { applyOrientation } from "./orientation.js";
import { readHeader, timeoutError, type ImageFormat, type ImageHeader } from "./probe.js";

/** Decoded pixels: 8-bit sRGB, 3 channels, row-major, EXIF orientation applied, alpha flattened on white. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  format: ImageFormat;
}

/**
 * Alpha is composited over this colour rather than dropped: the colour under a transparent pixel
 * is whatever the encoder left there (often black or noise), while white is what a marketplace
 * page shows and is the same for every file, so both classes are treated alike.
 */
export const alphaBackground = { r: 255, g: 255, b: 255 } as const;

/**
 * Decodes image bytes to 8-bit sRGB RGB under limits (see {@link DecodeLimits}): the header is
 * read and checked first ({@link probeImage}), so a decompression bomb is refused before any pixel
 * is decoded. Only the first frame or page is decoded. EXIF orientation is applied, 16-bit input
 * is reduced to 8 bits, CMYK and embedded ICC profiles are converted to sRGB (a profile that is
 * sRGB's already is left alone: its conversion is the identity), alpha is flattened
 * on {@link alphaBackground}. Throws MirageError with a reason from {@link imagingErrorReasons}.
 *
 * libvips runs each decode on `sharp.concurrency()` threads (default: the core count); callers
 * control how many decodes run at once.
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: Partial<DecodeLimits> = {},
): Promise<DecodedImage> {
  const lim = resolveDecodeLimits(limits);
  const deadline = new Deadline(lim.timeoutMs);
  const header = await readHeader(bytes, lim, deadline);
  // The libaom inside sharp's prebuilt libvips decodes 8-bit AV1 only.
  if (header.format === "avif" && header.bitsPerSample > 8) {
    return decodeWithFallback(bytes, header, deadline);
  }
  return decodeWithSharp(bytes, header, lim, deadline);
}

async function decodeWithSharp(
  bytes: Uint8Array,
  header: ImageHeader,
  lim: DecodeLimits,
  deadline: Deadline,
): Promise<DecodedImage> {
  const pipeline = sharp(bytes, {
    // The header check above is the first guard; this is the second, inside libvips.
    limitInputPixels: lim.maxPixels,
    // "error" refuses truncated and corrupt pixel data; "warning" would also refuse the many
    // real-world JPEGs with recoverable flaws ("extraneous bytes before marker").
    failOn: "error",
    pages: 1,
    page: 0,
    // An sRGB profile's transform is the identity at 8 bits, yet littleCMS takes two thirds of a
    // JPEG's decode time to compute it (see internal/icc-profile.ts).
    ignoreIcc: header.alreadySrgb,
  })
    // sharp's own timeout stops libvips' work; the race below stops the wait.
    .timeout({ seconds: Math.max(1, Math.ceil(deadline.remainingMs() / 1000)) })
    // EXIF orientation is applied after decoding (applyOrientation): 3× cheaper than libvips' turn.
    .flatten({ background: alphaBackground })
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" });
  try {
    const { data, info } = await deadline.race(pipeline.toBuffer({ resolveWithObject: true }), () =>
      timeoutError(deadline, header.format),
    );
    if (info.channels !== 3) {
      throw imagingError(
        "undecodable-image",
        `${header.format} image decoded to ${info.channels} channels, expected 3`,
        headerFacts(header),
      );
    }
    const oriented = applyOrientation(
      {
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
      },
      header.orientation,
    );
    // Built as a literal, not spread from `oriented`: extractCrop's hot loop reads this object,
    // and on the spread-built one it ran 3× slower (bench:triage's crops step, 3 → 9 ms).
    return {
      data: oriented.data,
      width: oriented.width,
      height: oriented.height,
      channels: 3,
      format: header.format,
    };
  } catch (error) {
    throw decodeFailure(error, header, deadline);
  }
}

async function decodeWithFallback(
  bytes: Uint8Array,
  header: ImageHeader,
  deadline: Deadline,
): Promise<DecodedImage> {
  if (avifHasTransform(bytes)) {
    throw imagingError(
      "unsupported-format",
      `${header.bitsPerSample}-bit AVIF with a rotation or mirror (irot/imir) is not supported: the bundled libaom decodes 8-bit only and the fallback decoder cannot apply the transform`,
      { ...headerFacts(header), bitsPerSample: header.bitsPerSample },
    );
  }
  try {
    const rgba = await decodeAvifFallback(bytes, deadline.remainingMs());
    if (rgba.width !== header.width || rgba.height !== header.height) {
      // The limits were checked against the header: a frame of another size was never vetted.
      throw imagingError(
        "undecodable-image",
        `avif image decoded to ${rgba.width}×${rgba.height}, not the ${header.width}×${header.height} its header declares`,
        headerFacts(header),
      );
    }
    const { data, info } = await sharp(rgba.data, {
      raw: { width: rgba.width, height: rgba.height, channels: 4 },
    })
      .flatten({ background: alphaBackground })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: 3,
      format: "avif",
    };
  } catch (error) {
    if (error instanceof AvifFallbackError && error.timedOut) throw timeoutError(deadline, "avif");
    throw decodeFailure(error, header, deadline);
  }
}

function headerFacts(header: ImageHeader): Record<string, string | number> {
  return { format: header.format, width: header.width, height: header.height, bytes: header.bytes };
}

/** Turns what libvips or the fallback threw into a MirageError with a documented reason. */
function decodeFailure(error: unknown, header: ImageHeader, deadline: Deadline) {
  if (isMirageError(error)) return error;
  const message = vipsMessage(error);
  if (/timeout: \d+% complete/.test(message)) return timeoutError(deadline, header.format);
  if (message.includes("Security limit exceeded")) {
    // libheif's own ceiling. The header's dimensions are not repeated: for sizes beyond what a
    // libvips image can hold, the header read reports a side of 1, so they would mislead.
    return imagingError(
      "image-too-many-pixels",
      `${header.format} image declares more pixels than the decoder allows: ${message}`,
      { format: header.format, bytes: header.bytes },
      error,
    );
  }
  if (message.includes("exceeds pixel limit")) {
    return imagingError(
      "image-too-many-pixels",
      `${header.format} image exceeds the pixel limit while decoding: ${message}`,
      headerFacts(header),
      error,
    );
  }
  return imagingError(
    "undecodable-image",
    `${header.format} image (${header.width}×${header.height}) could not be decoded, the data is truncated or corrupt: ${message}`,
    headerFacts(header),
    error,
  );
}
