import { inflateSync } from "node:zlib";
import { indexOfNul, latin1, startsWithAscii, u32be, utf8 } from "./bytes.js";
import type { MetadataCollector } from "./container-metadata.js";

/** iTXt keyword of an XMP packet in PNG. */
const XMP_KEYWORD = "XML:com.adobe.xmp";

/**
 * Inflates zlib data under a size cap: zlib's `maxOutputLength` stops a decompression bomb after
 * `cap` bytes instead of allocating its claimed size. Returns undefined and reports otherwise.
 */
export function inflateCapped(
  data: Uint8Array,
  cap: number,
  what: string,
  collector: MetadataCollector,
): Uint8Array | undefined {
  try {
    return inflateSync(data, { maxOutputLength: cap });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      collector.problem(
        `${what} inflates to more than ${cap} bytes (a decompression bomb or an oversized block): skipped`,
      );
    } else {
      collector.problem(
        `${what} is not valid zlib data (${error instanceof Error ? error.message : String(error)}): skipped`,
      );
    }
    return undefined;
  }
}

/**
 * Walks PNG chunks from the signature to IEND, never trusting a length: each chunk must fit in the
 * file and have a four-letter ASCII type. Collects tEXt/zTXt/iTXt text (XMP from iTXt
 * "XML:com.adobe.xmp"), eXIf (a TIFF block) and the size of caBX (C2PA). IDAT is skipped unread.
 */
export function walkPng(bytes: Uint8Array, collector: MetadataCollector): void {
  let at = 8;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) {
      collector.problem(`PNG ends inside a chunk header at offset ${at} (truncated file)`);
      return;
    }
    const length = u32be(bytes, at);
    const type = latin1(bytes, at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) {
      collector.problem(
        `PNG chunk at offset ${at} has an invalid type ${JSON.stringify(type)}: stopped reading chunks`,
      );
      return;
    }
    const dataStart = at + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff || dataEnd + 4 > bytes.length) {
      collector.problem(
        `PNG chunk ${type} at offset ${at} claims ${length} bytes but only ${Math.max(0, bytes.length - dataStart - 4)} remain: stopped reading chunks`,
      );
      return;
    }
    const data = bytes.subarray(dataStart, dataEnd);
    switch (type) {
      case "tEXt":
        readText(data, collector);
        break;
      case "zTXt":
        readCompressedText(data, at, collector);
        break;
      case "iTXt":
        readInternationalText(data, at, collector);
        break;
      case "eXIf":
        if (startsWithAscii(data, "II*\0") || startsWithAscii(data, "MM\0*"))
          collector.addExif("PNG eXIf chunk", data);
        else collector.problem(`PNG eXIf chunk at offset ${at} does not start with a TIFF header: skipped`);
        break;
      case "caBX":
        collector.addC2pa(length);
        break;
      case "IEND":
        return;
      default:
        break;
    }
    at = dataEnd + 4;
  }
  collector.problem("PNG has no IEND chunk (truncated file)");
}

function readText(data: Uint8Array, collector: MetadataCollector): void {
  const nul = indexOfNul(data, 0);
  if (nul < 1 || nul > 79) {
    collector.problem("PNG tEXt chunk without a valid keyword: skipped");
    return;
  }
  collector.addText("png-tEXt", latin1(data, 0, nul), latin1(data, nul + 1));
}

function readCompressedText(data: Uint8Array, at: number, collector: MetadataCollector): void {
  const nul = indexOfNul(data, 0);
  if (nul < 1 || nul > 79 || nul + 2 > data.length) {
    collector.problem(`PNG zTXt chunk at offset ${at} without a valid keyword: skipped`);
    return;
  }
  const key = latin1(data, 0, nul);
  if (data[nul + 1] !== 0) {
    collector.problem(`PNG zTXt "${key}" uses unknown compression method ${data[nul + 1]}: skipped`);
    return;
  }
  const text = inflateCapped(
    data.subarray(nul + 2),
    collector.limits.maxBlockBytes,
    `PNG zTXt "${key}"`,
    collector,
  );
  if (text !== undefined) collector.addText("png-zTXt", key, latin1(text));
}

function readInternationalText(data: Uint8Array, at: number, collector: MetadataCollector): void {
  const keyEnd = indexOfNul(data, 0);
  if (keyEnd < 1 || keyEnd > 79 || keyEnd + 3 > data.length) {
    collector.problem(`PNG iTXt chunk at offset ${at} without a valid keyword: skipped`);
    return;
  }
  const key = latin1(data, 0, keyEnd);
  const compressed = data[keyEnd + 1] === 1;
  const method = data[keyEnd + 2];
  const languageEnd = indexOfNul(data, keyEnd + 3);
  const translatedEnd = languageEnd < 0 ? -1 : indexOfNul(data, languageEnd + 1);
  if (translatedEnd < 0) {
    collector.problem(`PNG iTXt "${key}" is missing its language or translated-keyword field: skipped`);
    return;
  }
  let text: Uint8Array | undefined = data.subarray(translatedEnd + 1);
  if (compressed) {
    if (method !== 0) {
      collector.problem(`PNG iTXt "${key}" uses unknown compression method ${method}: skipped`);
      return;
    }
    text = inflateCapped(text, collector.limits.maxBlockBytes, `PNG iTXt "${key}"`, collector);
    if (text === undefined) return;
  }
  if (key === XMP_KEYWORD) collector.addXmp('PNG iTXt "XML:com.adobe.xmp"', text);
  else collector.addText("png-iTXt", key, utf8(text));
}
