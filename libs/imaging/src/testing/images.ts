/**
 * Test images made with sharp inside the tests (nothing is copied from ../shared), and byte-level
 * builders for hostile files. Test-only: excluded from the build.
 */
import { isMirageError, type MirageError } from "@mirage/errors";
import sharp from "sharp";
import { expect } from "vitest";
import { crc32 } from "../internal/crc32.js";
import type { DecodedImage } from "../decode.js";
import { imagingErrorReasons } from "../errors.js";

/** A deterministic RGB test pattern: a horizontal ramp in red, a vertical one in green, noise in blue. */
export function pattern(width: number, height: number, seed = 1): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      const i = (y * width + x) * 3;
      data[i] = Math.round((x * 255) / Math.max(1, width - 1));
      data[i + 1] = Math.round((y * 255) / Math.max(1, height - 1));
      data[i + 2] = (state >> 16) & 0xff;
    }
  }
  return { data, width, height, channels: 3, format: "png" };
}

/** A sharp pipeline over raw RGB pixels. */
export function fromPixels(image: DecodedImage) {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

/** Encodes a pattern in one of the accepted formats (8-bit). */
export async function encoded(
  format: "jpeg" | "png" | "webp" | "avif" | "tiff" | "gif",
  width = 32,
  height = 24,
): Promise<Uint8Array> {
  const image = pattern(width, height);
  const pipeline = fromPixels(image);
  const out =
    format === "tiff"
      ? pipeline.tiff({ compression: "lzw" })
      : format === "webp"
        ? pipeline.webp({ quality: 90 })
        : format === "avif"
          ? pipeline.avif({ quality: 80 })
          : pipeline.toFormat(format);
  return new Uint8Array(await out.toBuffer());
}

/** A solid colour in the given format. */
export async function solid(
  width: number,
  height: number,
  colour: string,
  format: "png" | "jpeg" = "png",
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .toFormat(format)
    .toBuffer();
}

/** A PNG chunk with a valid CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, "latin1"), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The PNG signature. */
export const pngSignature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An IHDR chunk of the given size; 8-bit truecolour (RGB) unless told otherwise. */
export function pngIhdr(width: number, height: number, bitDepth = 8, colourType = 2): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = bitDepth;
  data[9] = colourType;
  return pngChunk("IHDR", data);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Inserts a chunk right after IHDR (byte 33) of a PNG. */
export function withChunkAfterIhdr(png: Uint8Array, chunk: Uint8Array): Uint8Array {
  return concat(png.subarray(0, 33), chunk, png.subarray(33));
}

/** Rewrites the dimensions in a baseline or progressive JPEG's SOF segment. */
export function withJpegSize(jpeg: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(jpeg);
  const view = new DataView(out.buffer);
  let i = 2;
  while (i + 4 <= out.length) {
    const marker = out[i + 1]!;
    const length = view.getUint16(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      view.setUint16(i + 5, height);
      view.setUint16(i + 7, width);
      return out;
    }
    i += 2 + length;
  }
  throw new Error("no SOF segment found");
}

/**
 * A minimal little-endian RGB TIFF declaring `width`×`height` in one uncompressed strip that
 * holds only `dataBytes` bytes: a header that lies about how much image follows.
 */
export function lyingTiff(width: number, height: number, dataBytes = 64): Uint8Array {
  const entries: Array<[tag: number, type: number, count: number, value: number]> = [
    [256, 4, 1, width], // ImageWidth, LONG
    [257, 4, 1, height], // ImageLength, LONG
    [258, 3, 1, 8], // BitsPerSample (one value read for all samples)
    [259, 3, 1, 1], // Compression: none
    [262, 3, 1, 2], // Photometric: RGB
    [273, 4, 1, 0], // StripOffsets, patched below
    [277, 3, 1, 3], // SamplesPerPixel
    [278, 4, 1, height], // RowsPerStrip: one strip
    [279, 4, 1, dataBytes], // StripByteCounts
  ];
  const ifdOffset = 8;
  const dataOffset = ifdOffset + 2 + entries.length * 12 + 4;
  const out = new Uint8Array(dataOffset + dataBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, entries.length, true);
  entries.forEach(([tag, type, count, value], k) => {
    const entry = ifdOffset + 2 + k * 12;
    view.setUint16(entry, tag, true);
    view.setUint16(entry + 2, type, true);
    view.setUint32(entry + 4, count, true);
    if (type === 3) view.setUint16(entry + 8, value, true);
    else view.setUint32(entry + 8, tag === 273 ? dataOffset : value, true);
  });
  return out;
}

/** A little-endian TIFF whose first IFD's "next IFD" offset points back to itself. */
export function withTiffIfdLoop(tiff: Uint8Array): Uint8Array {
  const out = new Uint8Array(tiff);
  const view = new DataView(out.buffer);
  const ifd = view.getUint32(4, true);
  const count = view.getUint16(ifd, true);
  view.setUint32(ifd + 2 + count * 12, ifd, true);
  return out;
}

/** Documented reasons a decode may fail with. */
export const decodeReasons = new Set<string>(imagingErrorReasons);

/**
 * The outcome every hostile input must have: a well-formed DecodedImage or a MirageError with a
 * documented reason. Anything else (a plain Error, a wrong shape) fails the test.
 */
export function expectImageOrTypedError(result: DecodedImage | unknown): "image" | MirageError {
  if (isMirageError(result)) {
    expect(decodeReasons.has(result.reason), `undocumented reason ${result.reason}: ${result.message}`).toBe(
      true,
    );
    expect(["INVALID_ARGUMENT", "DEADLINE_EXCEEDED"]).toContain(result.code);
    return result;
  }
  if (result instanceof Error) throw result;
  const image = result as DecodedImage;
  expect(image.channels).toBe(3);
  expect(image.width).toBeGreaterThan(0);
  expect(image.height).toBeGreaterThan(0);
  expect(image.data.length).toBe(image.width * image.height * 3);
  return "image";
}
