/** Container formats recognised by their first bytes, before any decoder sees them. */
export type SniffedFormat = "jpeg" | "png" | "webp" | "tiff" | "gif" | "isobmff";

/** What the first bytes say: an accepted container, or the name of a format we refuse. */
export type SniffResult = { accepted: SniffedFormat } | { refused: string };

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/**
 * Recognises the format from the signature alone. Only the accepted containers ever reach
 * libvips, so its loaders for SVG (librsvg), PDF, FITS, Matlab, raw camera files and the like are
 * never exercised by hostile input. ISO-BMFF (AVIF and HEIC share it) is told apart later from
 * the header's compression field.
 */
export function sniffFormat(bytes: Uint8Array): SniffResult | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { accepted: "jpeg" };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { accepted: "png" };
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return { accepted: "webp" };
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return { accepted: "gif" };
  // Classic TIFF ("II*\0", "MM\0*") and BigTIFF ("II+\0", "MM\0+").
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return { accepted: "tiff" };
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b]))
    return { accepted: "tiff" };
  if (ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (["heic", "heix", "heim", "heis", "hevc", "hevx"].includes(brand)) return { refused: "HEIC" };
    return { accepted: "isobmff" };
  }
  return refusedFormat(bytes);
}

/** Names the common formats we refuse, so that the error says what the file is. */
function refusedFormat(bytes: Uint8Array): SniffResult | undefined {
  const head = ascii(bytes, 0, 256).trimStart().toLowerCase();
  if (head.startsWith("%pdf")) return { refused: "PDF" };
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg")))
    return { refused: "SVG" };
  if (head.startsWith("<")) return { refused: "XML or HTML" };
  if (ascii(bytes, 0, 2) === "BM") return { refused: "BMP" };
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return { refused: "JPEG XL" };
  if (
    startsWith(bytes, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) ||
    startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])
  )
    return { refused: "JPEG 2000" };
  if (ascii(bytes, 0, 4) === "8BPS") return { refused: "PSD" };
  if (/^p[1-7]\s/.test(head)) return { refused: "PNM" };
  return undefined;
}
