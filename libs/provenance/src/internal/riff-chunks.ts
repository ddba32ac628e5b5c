import { latin1, startsWithAscii, u32le } from "./bytes.js";
import type { MetadataCollector } from "./container-metadata.js";

/**
 * Walks the chunks of a WebP (RIFF) file, each checked against the file: EXIF (a TIFF block, with
 * or without an "Exif\0\0" prefix), "XMP " and the size of the C2PA chunk.
 */
export function walkWebp(bytes: Uint8Array, collector: MetadataCollector): void {
  let at = 12;
  while (at + 8 <= bytes.length) {
    const type = latin1(bytes, at, at + 4);
    const size = u32le(bytes, at + 4);
    const dataStart = at + 8;
    if (!/^[\x20-\x7e]{4}$/.test(type)) {
      collector.problem(
        `WebP chunk at offset ${at} has an invalid type ${JSON.stringify(type)}: stopped reading chunks`,
      );
      return;
    }
    if (dataStart + size > bytes.length) {
      collector.problem(
        `WebP chunk ${JSON.stringify(type)} at offset ${at} claims ${size} bytes but only ${bytes.length - dataStart} remain: stopped reading chunks`,
      );
      return;
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    if (type === "EXIF") {
      const tiff = startsWithAscii(data, "Exif\0\0") ? data.subarray(6) : data;
      if (startsWithAscii(tiff, "II*\0") || startsWithAscii(tiff, "MM\0*"))
        collector.addExif("WebP EXIF chunk", tiff);
      else collector.problem("WebP EXIF chunk does not hold a TIFF header: skipped");
    } else if (type === "XMP ") {
      collector.addXmp("WebP XMP chunk", data);
    } else if (type === "C2PA") {
      collector.addC2pa(size);
    }
    // Chunks are padded to an even size.
    at = dataStart + size + (size & 1);
  }
  if (at < bytes.length)
    collector.problem(`WebP ends inside a chunk header at offset ${at} (truncated file)`);
}
