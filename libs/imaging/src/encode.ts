import type { DecodedImage } from "./decode.js";
import { imagingError } from "./errors.js";
import { sharp } from "./internal/sharp.js";

/**
 * Baseline JPEG options: libjpeg's standard (Annex K) tables with 4:2:0 chroma and none of
 * mozjpeg's encoder tricks (trellis quantisation, deringing, scan optimisation), so that quality
 * N means what it means in most other encoders. Huffman tables are optimised, which is lossless.
 */
export const baselineJpeg = {
  chromaSubsampling: "4:2:0",
  mozjpeg: false,
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
  optimiseCoding: true,
  quantisationTable: 0,
  progressive: false,
} as const;

/** Lossless PNG options: compression level 1 is fast, and the pixels are the same at any level. */
export const fastPng = { compressionLevel: 1, adaptiveFiltering: false, palette: false } as const;

function fromRgb(image: DecodedImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

export function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Encodes RGB pixels as a baseline JPEG of `quality` (1–100), 4:2:0, with no metadata. */
export async function encodeJpeg(image: DecodedImage, quality: number): Promise<Uint8Array> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw imagingError("invalid-jpeg-quality", `JPEG quality must be an integer in 1..100, got ${quality}`, {
      quality,
    });
  }
  return bytesOf(
    await fromRgb(image)
      .jpeg({ ...baselineJpeg, quality })
      .toBuffer(),
  );
}

/** Encodes RGB pixels as a lossless PNG with no metadata (compression level 1: fast, same pixels). */
export async function encodePng(image: DecodedImage): Promise<Uint8Array> {
  return bytesOf(await fromRgb(image).png(fastPng).toBuffer());
}
