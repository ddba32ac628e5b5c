/**
 * How the frame was coded, from its SOF marker: baseline (SOF0), extended sequential (SOF1),
 * progressive (SOF2), lossless (SOF3), hierarchical (SOF5–7, SOF13–15) or arithmetic-coded
 * sequential/progressive (SOF9–11).
 */
export type JpegCoding = "baseline" | "extended" | "progressive" | "lossless" | "hierarchical" | "arithmetic";

/** Chroma subsampling of a three-component frame, "grey" for one component, "other" for the rest. */
export type Subsampling = "4:4:4" | "4:2:2" | "4:2:0" | "4:4:0" | "4:1:1" | "grey" | "other";

/** One component of the frame: its sampling factors and the quantisation table it uses. */
export interface FrameComponent {
  id: number;
  h: number;
  v: number;
  /** Quantisation table selector, 0–3. */
  table: number;
}

/** The frame header (the first SOF marker). */
export interface JpegFrame {
  coding: JpegCoding;
  /** Sample precision in bits (8 or 12). */
  precision: number;
  /** Width and height as stored, before EXIF orientation (height 0 means a later DNL marker gives it). */
  width: number;
  height: number;
  components: FrameComponent[];
}

/** Which application segments the file carries (who wrote the file leaves these behind). */
export interface AppSegments {
  /** APP0 "JFIF"/"JFXX": written by most libraries (libjpeg writes it by default). */
  jfif: boolean;
  /** APP1 "Exif": cameras and phones, and any tool that keeps their metadata. */
  exif: boolean;
  /** APP1 XMP packet (Adobe's extensible metadata; editors and some generators). */
  xmp: boolean;
  /** APP2 "ICC_PROFILE": an embedded colour profile. */
  icc: boolean;
  /** APP2 "MPF": the multi-picture format of cameras and phones (a preview image after the main one). */
  mpf: boolean;
  /** APP13 "Photoshop 3.0": Photoshop's image resource blocks (Photoshop and tools that copy them). */
  photoshop: boolean;
  /** APP14 "Adobe": Adobe's colour-transform marker (Photoshop, and libjpeg for CMYK). */
  adobe: boolean;
}

/** What the marker segments of a JPEG say, read without decoding any pixel. */
export interface JpegMarkers {
  /**
   * Quantisation tables by selector 0–3 in natural (row-major) order, as defined when the first
   * scan starts (the tables that scan used); undefined where none was defined.
   */
  tables: Array<Uint16Array | undefined>;
  /** Precision of each defined table in bits (8 or 16), by selector. */
  tablePrecision: Array<8 | 16 | undefined>;
  frame: JpegFrame | null;
  app: AppSegments;
  /** EXIF orientation 1–8 from the APP1 Exif segment, 1 when absent or unreadable. */
  orientation: number;
  /** The APP14 Adobe colour transform (0 none: RGB/CMYK, 1 YCbCr, 2 YCCK), null when absent. */
  adobeTransform: number | null;
  /**
   * Why the markers could not be read to the end (truncated, a malformed segment), or null when
   * they were read up to EOI. What was read before the problem is kept.
   */
  problem: string | null;
}

/** JPEG's zig-zag scan: entry k is the natural (row-major) index of the k-th coefficient in the file. */
export const zigzag: readonly number[] = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];

/** True when the bytes start with a JPEG's SOI marker followed by another marker. */
export function isJpegSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

const SOS = 0xda;
const EOI = 0xd9;
const DQT = 0xdb;
const APP0 = 0xe0;

/**
 * Reads the marker segments of a JPEG (SOI to EOI): quantisation tables, the frame header,
 * application segments and the EXIF orientation. Bounded and hostile-input safe: every length is
 * checked against the bytes, each byte is visited at most once, and a truncated or malformed file
 * gives `problem` (with what was read before it) instead of throwing. Returns null when the bytes
 * are not a JPEG at all.
 */
export function readJpegMarkers(bytes: Uint8Array): JpegMarkers | null {
  if (!isJpegSignature(bytes)) return null;
  const out: JpegMarkers = {
    tables: [undefined, undefined, undefined, undefined],
    tablePrecision: [undefined, undefined, undefined, undefined],
    frame: null,
    app: { jfif: false, exif: false, xmp: false, icc: false, mpf: false, photoshop: false, adobe: false },
    orientation: 1,
    adobeTransform: null,
    problem: null,
  };
  // Tables as the file defines them; copied to `out.tables` when the first scan starts.
  const live: Array<Uint16Array | undefined> = [undefined, undefined, undefined, undefined];
  const livePrecision: Array<8 | 16 | undefined> = [undefined, undefined, undefined, undefined];
  let scans = 0;
  let pos = 2;
  for (;;) {
    if (pos >= bytes.length) {
      out.problem = `truncated: the file ends at byte ${bytes.length} before its end-of-image marker`;
      break;
    }
    if (bytes[pos] !== 0xff) {
      out.problem = `malformed: no marker at byte ${pos} (0x${hex(bytes[pos]!)} found)`;
      break;
    }
    // Any number of 0xFF fill bytes may precede a marker.
    while (pos < bytes.length && bytes[pos] === 0xff) pos++;
    if (pos >= bytes.length) continue;
    const marker = bytes[pos]!;
    const at = pos - 1;
    pos++;
    if (marker === EOI) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no segment
    if (marker === 0xd8 || marker === 0x00) {
      out.problem = `malformed: unexpected ${marker === 0xd8 ? "second start-of-image" : "stuffed byte"} at byte ${at}`;
      break;
    }
    if (pos + 2 > bytes.length) {
      out.problem = `truncated: the file ends inside the length of marker 0x${hex(marker)} at byte ${at}`;
      break;
    }
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2) {
      out.problem = `malformed: marker 0x${hex(marker)} at byte ${at} declares a length of ${length}`;
      break;
    }
    const end = pos + length;
    if (end > bytes.length) {
      out.problem = `truncated: the ${segmentName(marker)} segment at byte ${at} declares ${length} bytes, only ${bytes.length - pos} remain`;
      break;
    }
    const body = bytes.subarray(pos + 2, end);
    pos = end;
    let problem: string | null = null;
    if (marker === DQT) problem = readDqt(body, live, livePrecision, at);
    else if (isSof(marker)) {
      if (out.frame === null) {
        const frame = readSof(marker, body, at);
        if (typeof frame === "string") problem = frame;
        else out.frame = frame;
      }
    } else if (marker >= APP0 && marker <= 0xef) readApp(marker, body, out);
    else if (marker === SOS) {
      if (scans === 0) {
        out.tables = live.slice();
        out.tablePrecision = livePrecision.slice();
      }
      scans++;
      // Entropy-coded data follows the SOS header: skip to the next real marker (0xFF followed by
      // neither a stuffed 0x00 nor a restart marker).
      pos = skipEntropyData(bytes, pos);
    }
    if (problem !== null) {
      out.problem = problem;
      break;
    }
  }
  if (out.problem === null && out.frame === null)
    out.problem = "malformed: the file has no frame header (SOF)";
  else if (out.problem === null && scans === 0) out.problem = "malformed: the file has no scan (SOS)";
  if (scans === 0) {
    // A file cut before its first scan still says which tables it defined.
    out.tables = live.slice();
    out.tablePrecision = livePrecision.slice();
  }
  return out;
}

function readDqt(
  body: Uint8Array,
  tables: Array<Uint16Array | undefined>,
  precision: Array<8 | 16 | undefined>,
  at: number,
): string | null {
  let i = 0;
  while (i < body.length) {
    const pq = body[i]! >> 4;
    const tq = body[i]! & 0x0f;
    i++;
    if (pq > 1 || tq > 3) {
      return `malformed: the quantisation-table segment at byte ${at} has precision ${pq} and selector ${tq}`;
    }
    const wide = pq === 1;
    if (i + 64 * (wide ? 2 : 1) > body.length) {
      return `malformed: the quantisation-table segment at byte ${at} ends inside table ${tq}`;
    }
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      const value = wide ? (body[i + 2 * k]! << 8) | body[i + 2 * k + 1]! : body[i + k]!;
      if (value === 0) {
        return `malformed: quantisation table ${tq} at byte ${at} holds a zero step (coefficient ${k})`;
      }
      table[zigzag[k]!] = value;
    }
    i += 64 * (wide ? 2 : 1);
    tables[tq] = table;
    precision[tq] = wide ? 16 : 8;
  }
  return null;
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function codingOf(marker: number): JpegCoding {
  if (marker === 0xc0) return "baseline";
  if (marker === 0xc1) return "extended";
  if (marker === 0xc2) return "progressive";
  if (marker === 0xc3) return "lossless";
  if (marker >= 0xc9 && marker <= 0xcb) return "arithmetic";
  return "hierarchical";
}

function readSof(marker: number, body: Uint8Array, at: number): JpegFrame | string {
  const n = body[5] ?? 0;
  if (body.length < 6 || n < 1 || n > 4 || body.length !== 6 + 3 * n) {
    return `malformed: the frame header at byte ${at} has ${body.length} bytes for ${n} components`;
  }
  const components: FrameComponent[] = [];
  for (let c = 0; c < n; c++) {
    const o = 6 + 3 * c;
    const h = body[o + 1]! >> 4;
    const v = body[o + 1]! & 0x0f;
    const table = body[o + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4 || table > 3) {
      return `malformed: component ${c} of the frame header at byte ${at} has sampling ${h}×${v}, table ${table}`;
    }
    components.push({ id: body[o]!, h, v, table });
  }
  const width = (body[3]! << 8) | body[4]!;
  if (width === 0) return `malformed: the frame header at byte ${at} declares a width of 0`;
  return {
    coding: codingOf(marker),
    precision: body[0]!,
    height: (body[1]! << 8) | body[2]!,
    width,
    components,
  };
}

function readApp(marker: number, body: Uint8Array, out: JpegMarkers): void {
  const n = marker - APP0;
  if (n === 0 && (startsWith(body, "JFIF\0") || startsWith(body, "JFXX\0"))) out.app.jfif = true;
  else if (n === 1 && startsWith(body, "Exif\0")) {
    out.app.exif = true;
    out.orientation = exifOrientation(body.subarray(6));
  } else if (n === 1 && startsWith(body, "http://ns.adobe.com/x")) out.app.xmp = true;
  else if (n === 2 && startsWith(body, "ICC_PROFILE\0")) out.app.icc = true;
  else if (n === 2 && startsWith(body, "MPF\0")) out.app.mpf = true;
  else if (n === 13 && startsWith(body, "Photoshop 3.0\0")) out.app.photoshop = true;
  else if (n === 14 && startsWith(body, "Adobe")) {
    out.app.adobe = true;
    out.adobeTransform = body.length >= 12 ? body[11]! : null;
  }
}

/**
 * Orientation tag (0x0112) of IFD0 in a TIFF structure, 1 when absent or out of bounds. Broken
 * EXIF is not this module's finding (the provenance library reads EXIF); libvips ignores it too.
 */
function exifOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const u16 = (o: number) => (little ? tiff[o]! | (tiff[o + 1]! << 8) : (tiff[o]! << 8) | tiff[o + 1]!);
  const u32 = (o: number) => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let e = 0; e < count; e++) {
    const o = ifd + 2 + 12 * e;
    if (o + 12 > tiff.length) return 1;
    if (u16(o) === 0x0112 && u16(o + 2) === 3) {
      const value = u16(o + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

// Index of the next marker after entropy-coded data (or the end of the bytes).
function skipEntropyData(bytes: Uint8Array, from: number): number {
  let i = bytes.indexOf(0xff, from);
  while (i !== -1 && i + 1 < bytes.length) {
    const next = bytes[i + 1]!;
    if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) return i;
    i = bytes.indexOf(0xff, i + 1);
  }
  return bytes.length;
}

/** The subsampling a frame's sampling factors describe. */
export function subsamplingOf(frame: JpegFrame): Subsampling {
  if (frame.components.length === 1) return "grey";
  if (frame.components.length !== 3) return "other";
  const [y, cb, cr] = frame.components as [FrameComponent, FrameComponent, FrameComponent];
  if (cb.h !== cr.h || cb.v !== cr.v || y.h % cb.h !== 0 || y.v % cb.v !== 0) return "other";
  const key = `${y.h / cb.h}x${y.v / cb.v}`;
  const names: Record<string, Subsampling> = {
    "1x1": "4:4:4",
    "2x1": "4:2:2",
    "2x2": "4:2:0",
    "1x2": "4:4:0",
    "4x1": "4:1:1",
  };
  return names[key] ?? "other";
}

function startsWith(body: Uint8Array, text: string): boolean {
  if (body.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (body[i] !== text.charCodeAt(i)) return false;
  return true;
}

function segmentName(marker: number): string {
  if (marker === DQT) return "quantisation-table";
  if (isSof(marker)) return "frame-header";
  if (marker === SOS) return "scan-header";
  if (marker >= APP0 && marker <= 0xef) return `APP${marker - APP0}`;
  return `0x${hex(marker)}`;
}

function hex(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, "0");
}
