import { crc32 } from "./crc32.js";

/** Bit depths the PNG specification allows for each colour type (section 11.2.2). */
const allowedBitDepths: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // indexed
  4: [8, 16], // greyscale with alpha
  6: [8, 16], // truecolour with alpha
};

function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0
  );
}

/** A chunk type fit for a message: hostile bytes are shown as hex. */
function printable(type: string): string {
  return /^[A-Za-z]{4}$/.test(type)
    ? type
    : `0x${[...type].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("")}`;
}

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/**
 * Checks the PNG chunk structure and returns what is wrong, or undefined. libvips reads PNG with
 * libspng, which silently drops an ancillary chunk whose CRC fails (the Exiv2 issue 828 file has
 * a corrupted tEXt chunk) and accepts an indexed image with a palette of partial entries. A
 * corrupt chunk is corrupt data, and metadata is evidence for the provenance readers, so such a
 * file is refused rather than half-read. IDAT is not summed here: zlib's Adler-32 inside the
 * image data already guards it when the decoder inflates it. A file that ends mid-chunk is left
 * to the decoder, which reports the truncation itself.
 */
export function pngStructureProblem(bytes: Uint8Array): string | undefined {
  const ihdr = 8;
  if (bytes.length < ihdr + 8 + 13) return "PNG ends inside its IHDR header";
  if (chunkType(bytes, ihdr + 4) !== "IHDR" || readU32(bytes, ihdr) !== 13)
    return "PNG does not start with a 13-byte IHDR chunk";
  const width = readU32(bytes, ihdr + 8);
  const height = readU32(bytes, ihdr + 12);
  const bitDepth = bytes[ihdr + 16]!;
  const colourType = bytes[ihdr + 17]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    return `PNG IHDR has invalid dimensions ${width}×${height}`;
  const depths = allowedBitDepths[colourType];
  if (depths === undefined) return `PNG IHDR has invalid colour type ${colourType}`;
  if (!depths.includes(bitDepth))
    return `PNG IHDR has bit depth ${bitDepth}, invalid for colour type ${colourType}`;
  if (bytes[ihdr + 18] !== 0 || bytes[ihdr + 19] !== 0 || bytes[ihdr + 20]! > 1)
    return "PNG IHDR has an invalid compression, filter or interlace method";

  let offset = ihdr;
  let sawPalette = false;
  let sawImageData = false;
  while (offset + 12 <= bytes.length) {
    const length = readU32(bytes, offset);
    const type = chunkType(bytes, offset + 4);
    if (length > 0x7fffffff)
      return `PNG ${printable(type)} chunk at byte ${offset} declares ${length} bytes, more than the format allows`;
    if (offset + 12 + length > bytes.length) break;
    if (
      type !== "IDAT" &&
      crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== readU32(bytes, offset + 8 + length)
    ) {
      return `PNG ${printable(type)} chunk at byte ${offset} fails its CRC check (corrupt data)`;
    }
    if (type === "IDAT" && !sawImageData) {
      sawImageData = true;
      if (colourType === 3 && !sawPalette) return "PNG indexed image has no PLTE chunk before its image data";
    }
    if (type === "PLTE" && colourType === 3) {
      if (length === 0 || length % 3 !== 0 || length / 3 > 2 ** bitDepth) {
        return `PNG PLTE chunk is ${length} bytes: it must hold 1 to ${2 ** bitDepth} whole RGB entries (a multiple of 3)`;
      }
      sawPalette = true;
    }
    if (type === "IEND") break;
    offset += 12 + length;
  }
  return undefined;
}
