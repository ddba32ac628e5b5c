import { exifr } from "./exifr.js";

/** The EXIF fields provenance looks at, typed; absent when the file does not carry them. */
export interface ExifFacts {
  make?: string;
  model?: string;
  software?: string;
  imageDescription?: string;
  lensModel?: string;
  /** Seconds. */
  exposureTime?: number;
  fNumber?: number;
  iso?: number;
  /** As exifr revives it (ISO 8601) or as written. */
  dateTimeOriginal?: string;
  /** Decoded from its 8-byte character-code prefix (ASCII, UNICODE, JIS or undefined). */
  userComment?: string;
}

/** What exifr found: the facts of each block, plus the raw XMP of whole-file reads. */
export interface ExifReadResult {
  facts: ExifFacts;
  /** XMP packets exifr found inside the structure (TIFF tag 700, HEIF item). */
  xmpPackets: Uint8Array[];
}

const exifrOptions = {
  tiff: true,
  ifd0: {},
  exif: true,
  gps: false,
  interop: false,
  ifd1: false,
  makerNote: false,
  userComment: true,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  mergeOutput: false,
  translateValues: false,
  // Keep going past a broken tag: its message lands in output.errors and becomes a problem.
  silentErrors: true,
  chunked: false,
} as const;

/**
 * Reads EXIF with exifr: from a TIFF block (JPEG APP1, PNG eXIf, WebP EXIF) or, with
 * `wholeFile`, from a TIFF/HEIF/AVIF file (then also its raw XMP). exifr follows only IFD0 → EXIF,
 * so an IFD loop cannot trap it. Problems are appended to `problems`.
 */
export async function readExif(
  input: Uint8Array,
  wholeFile: boolean,
  problems: string[],
): Promise<ExifReadResult> {
  let output: unknown;
  try {
    output = await exifr.parse(input, { ...exifrOptions, xmp: wholeFile ? { parse: false } : false });
  } catch (error) {
    problems.push(`EXIF could not be read (${error instanceof Error ? error.message : String(error)})`);
    return { facts: {}, xmpPackets: [] };
  }
  if (!isRecord(output)) return { facts: {}, xmpPackets: [] };
  const errors = output.errors;
  if (Array.isArray(errors)) {
    for (const error of errors.slice(0, 5))
      problems.push(`EXIF is partly broken (${error instanceof Error ? error.message : String(error)})`);
  }
  const ifd0 = isRecord(output.ifd0) ? output.ifd0 : {};
  const exif = isRecord(output.exif) ? output.exif : {};
  const facts: ExifFacts = {};
  setText(facts, "make", ifd0.Make);
  setText(facts, "model", ifd0.Model);
  setText(facts, "software", ifd0.Software);
  setText(facts, "imageDescription", ifd0.ImageDescription);
  setText(facts, "lensModel", exif.LensModel);
  setNumber(facts, "exposureTime", exif.ExposureTime);
  setNumber(facts, "fNumber", exif.FNumber);
  setNumber(facts, "iso", Array.isArray(exif.ISO) ? exif.ISO[0] : exif.ISO);
  const date = exif.DateTimeOriginal;
  if (date instanceof Date && !Number.isNaN(date.getTime())) facts.dateTimeOriginal = date.toISOString();
  else setText(facts, "dateTimeOriginal", date);
  // exifr leaves UserComment undecoded at the top level of the output.
  const comment = output.userComment ?? exif.UserComment;
  if (comment instanceof Uint8Array) {
    const text = decodeUserComment(comment);
    if (text !== "") facts.userComment = text;
  } else {
    setText(facts, "userComment", comment);
  }
  const xmpPackets: Uint8Array[] = [];
  if (typeof output.xmp === "string" && output.xmp.length > 0)
    xmpPackets.push(new TextEncoder().encode(output.xmp));
  return { facts, xmpPackets };
}

/**
 * Decodes an EXIF UserComment: an 8-byte character code, then the text. "UNICODE" is UTF-16 in
 * whichever byte order the writer chose (AUTOMATIC1111 writes big-endian through piexif, others
 * little-endian), so the order is guessed from where the zero bytes of ASCII-range text fall.
 */
export function decodeUserComment(bytes: Uint8Array): string {
  const code = Buffer.from(bytes.subarray(0, 8)).toString("latin1");
  const body = bytes.subarray(8);
  let text: string;
  if (code.startsWith("UNICODE")) {
    const evenZeros = countZeros(body, 0);
    const oddZeros = countZeros(body, 1);
    const even = body.length & ~1;
    const pairs = Buffer.from(body.subarray(0, even));
    text = evenZeros > oddZeros ? pairs.swap16().toString("utf16le") : pairs.toString("utf16le");
  } else if (code.startsWith("ASCII") || code === "\0\0\0\0\0\0\0\0") {
    text = Buffer.from(body).toString("utf8");
  } else if (code.startsWith("JIS")) {
    // No JIS decoder in Node; keep the ASCII-compatible bytes, which is where infotext keys live.
    text = Buffer.from(body).toString("latin1");
  } else {
    text = Buffer.from(bytes).toString("utf8");
  }
  return text.replace(/\0+$/, "").trim();
}

function countZeros(bytes: Uint8Array, parity: number): number {
  let zeros = 0;
  const end = Math.min(bytes.length, 4096);
  for (let i = parity; i < end; i += 2) if (bytes[i] === 0) zeros++;
  return zeros;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

type TextKey = {
  [K in keyof ExifFacts]-?: ExifFacts[K] extends string | undefined ? K : never;
}[keyof ExifFacts];
type NumberKey = {
  [K in keyof ExifFacts]-?: ExifFacts[K] extends number | undefined ? K : never;
}[keyof ExifFacts];

function setText(facts: ExifFacts, key: TextKey, value: unknown): void {
  if (typeof value === "string") {
    const text = value.replace(/\0+$/, "").trim();
    if (text !== "") facts[key] = text;
  }
}

function setNumber(facts: ExifFacts, key: NumberKey, value: unknown): void {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) facts[key] = value;
}
