import { startsWithAscii } from "./bytes.js";

/** Containers the metadata walkers understand. */
export type ContainerFormat = "jpeg" | "png" | "webp" | "gif" | "tiff" | "heif" | "avif" | "unknown";

/** Identifies the container from its first bytes (never from a file name). */
export function sniffContainer(bytes: Uint8Array): ContainerFormat {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (startsWithAscii(bytes, "\x89PNG\r\n\x1a\n")) return "png";
  if (startsWithAscii(bytes, "RIFF") && startsWithAscii(bytes, "WEBP", 8)) return "webp";
  if (startsWithAscii(bytes, "GIF87a") || startsWithAscii(bytes, "GIF89a")) return "gif";
  if (startsWithAscii(bytes, "II*\0") || startsWithAscii(bytes, "MM\0*")) return "tiff";
  if (startsWithAscii(bytes, "ftyp", 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (brand === "avif" || brand === "avis") return "avif";
    if (["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].includes(brand)) return "heif";
  }
  return "unknown";
}

/** The media type the C2PA SDK expects for a container, or undefined when it reads none. */
export function c2paMediaType(format: ContainerFormat): string | undefined {
  switch (format) {
    case "jpeg":
      return "image/jpeg";
    case "png":
      return "image/png";
    case "webp":
      return "image/webp";
    case "gif":
      return "image/gif";
    case "tiff":
      return "image/tiff";
    case "heif":
      return "image/heif";
    case "avif":
      return "image/avif";
    default:
      return undefined;
  }
}
