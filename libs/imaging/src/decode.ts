import { MirageError } from "@mirage/errors";
import sharp from "sharp";

/** Limits every decode runs under; hostile uploads are the normal case. */
export interface DecodeLimits {
  /** Largest accepted file, in bytes. Default 50 MiB. */
  maxBytes: number;
  /** Largest accepted image, in pixels (width × height), checked from the header before decoding. Default 64 MP. */
  maxPixels: number;
  /** Longest accepted side, in pixels. Default 20,000. */
  maxDimension: number;
  /** Wall-clock budget for one decode, in milliseconds. Default 10 s. */
  timeoutMs: number;
}

/** Defaults that run on one machine. */
export const defaultDecodeLimits: DecodeLimits = {
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 64_000_000,
  maxDimension: 20_000,
  timeoutMs: 10_000,
};

/** Formats the pipeline decodes (the first frame of animated ones). */
export type ImageFormat = "jpeg" | "png" | "webp" | "avif" | "tiff" | "gif";

/** Decoded pixels: 8-bit sRGB, 3 channels, row-major, EXIF orientation applied. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  format: ImageFormat;
}

/** Decodes image bytes to RGB under limits (see {@link DecodeLimits}). */
export async function decodeImage(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<DecodedImage> {
  const lim = { ...defaultDecodeLimits, ...limits };
  if (bytes.byteLength > lim.maxBytes) {
    throw new MirageError("INVALID_ARGUMENT", `image is ${bytes.byteLength} bytes, more than the limit of ${lim.maxBytes}`, {
      reason: "image-too-large",
      details: { bytes: bytes.byteLength, limit: lim.maxBytes },
    });
  }
  const input = sharp(bytes, { limitInputPixels: lim.maxPixels, failOn: "error", pages: 1 });
  const meta = await input.metadata();
  const format = meta.format as ImageFormat;
  const { data, info } = await input
    .rotate()
    .toColourspace("srgb")
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3, format };
}
