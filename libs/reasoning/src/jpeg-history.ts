import { regionName } from "@mirage/detector";
import { MirageError } from "@mirage/errors";
import type { DecodedImage, ImageFormat } from "@mirage/imaging";
import { ghostCeiling, type GhostPatch } from "./jpeg-ghost.js";
import { minGhostPatch, readGhosts, type GhostReading } from "./jpeg-ghost-patches.js";
import {
  readJpegMarkers,
  subsamplingOf,
  type AppSegments,
  type JpegCoding,
  type JpegMarkers,
  type Subsampling,
} from "./jpeg-markers.js";
import { classifyTables, type TableClass } from "./jpeg-tables.js";
import { clause, plural } from "./text.js";

/**
 * How a file was saved, read from its JPEG markers and pixels. It describes the saving, never
 * the making: real photos and generated images are both re-saved by libraries, and in aigi-v1
 * real photos are almost all JPEG while generated images are often PNG — a shortcut the
 * reasoning must not learn. Use it as context, and to check metadata for consistency (camera
 * EXIF over libjpeg standard tables means software re-saved the file after the camera).
 */
export interface JpegHistory {
  /** The bytes start as a JPEG does. */
  isJpeg: boolean;
  /** The format the image was decoded from. */
  format: ImageFormat;
  /** The quantisation tables compared with libjpeg's, or null (not JPEG, or unreadable). */
  tables: TableClass | null;
  /** How the frame was coded, or null (not JPEG, or no frame header read). */
  coding: JpegCoding | null;
  /** Progressive coding (the default of many web savers and of some phones). */
  progressive: boolean;
  /** Chroma subsampling, or null when not JPEG or no frame header was read. */
  subsampling: Subsampling | null;
  /** Application segments present, or null when not JPEG. */
  app: AppSegments | null;
  /** The quality of an earlier compression that JPEG ghosts show in most patches, or null. */
  earlierQuality: number | null;
  /** The textured patches whose recompression curves were read. */
  patches: GhostPatch[];
  /** Why the markers could not be read to their end (truncated or malformed), or null. */
  unreadable: string | null;
  /** One group of sentences for the reasoning trace. */
  text: string;
}

/** Options of {@link readJpegHistory}. */
export interface JpegHistoryOptions {
  /** Most patches whose recompression curve is read. Default 4. */
  maxPatches?: number;
  /** Side of a patch in pixels, a multiple of 8 from 64 to 1024. Default 256 (smaller images get smaller patches). */
  patchSize?: number;
}

const defaults: Required<JpegHistoryOptions> = { maxPatches: 4, patchSize: 256 };

/**
 * Reads the JPEG history of `bytes`, whose decoded pixels are `image` (from `decodeImage`, EXIF
 * orientation applied): the quantisation tables against libjpeg's (an image library's save, or
 * a camera's/editor's own tables), progressive or baseline, chroma subsampling, the application
 * segments, and JPEG ghosts (Farid 2009) of an earlier compression at a lower quality in up to
 * `maxPatches` textured patches. Hostile bytes never throw: a truncated or malformed file gives
 * `unreadable`. Throws MirageError INVALID_ARGUMENT only for a programming error: options out of
 * range, or an `image` whose size is not that of the JPEG's frame.
 */
export async function readJpegHistory(
  bytes: Uint8Array,
  image: DecodedImage,
  options: JpegHistoryOptions = {},
): Promise<JpegHistory> {
  const opts = resolveOptions(options);
  const markers = readJpegMarkers(bytes);
  if (markers === null) {
    const history = {
      isJpeg: false,
      format: image.format,
      tables: null,
      coding: null,
      progressive: false,
      subsampling: null,
      app: null,
      earlierQuality: null,
      patches: [],
      unreadable: null,
    };
    return { ...history, text: historyText(history, null, image) };
  }
  const frame = markers.frame;
  const luma = frame ? markers.tables[frame.components[0]!.table] : undefined;
  const chroma = frame && frame.components.length === 3 ? chromaTable(markers) : null;
  const tables = luma ? classifyTables(luma, chroma) : null;
  const ghost: GhostReading =
    luma && frame && tables
      ? readGhosts(
          markers,
          luma,
          tables.kind === "standard" ? tables.quality : tables.nearestQuality,
          image,
          opts,
        )
      : { skipped: "the quantisation tables could not be read" };
  const history = {
    isJpeg: true,
    format: image.format,
    tables,
    coding: frame?.coding ?? null,
    progressive: frame?.coding === "progressive",
    subsampling: frame ? subsamplingOf(frame) : null,
    app: markers.app,
    earlierQuality: "earlierQuality" in ghost ? ghost.earlierQuality : null,
    patches: "patches" in ghost ? ghost.patches : [],
    unreadable: markers.problem,
  };
  return { ...history, text: historyText(history, "skipped" in ghost ? ghost.skipped : null, image) };
}

// The chrominance table when Cb uses a table of its own (some encoders quantise all three
// components with the luminance table: then only that one is compared).
function chromaTable(markers: JpegMarkers): Uint16Array | null {
  const [y, cb] = markers.frame!.components;
  if (cb === undefined || cb.table === y!.table) return null;
  return markers.tables[cb.table] ?? null;
}

function resolveOptions(options: JpegHistoryOptions): Required<JpegHistoryOptions> {
  const opts = { ...defaults, ...options };
  if (!Number.isInteger(opts.maxPatches) || opts.maxPatches < 1 || opts.maxPatches > 16) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `maxPatches must be an integer in 1..16, got ${opts.maxPatches}`,
      {
        reason: "jpeg-history-invalid-options",
        details: { maxPatches: opts.maxPatches },
      },
    );
  }
  if (
    !Number.isInteger(opts.patchSize) ||
    opts.patchSize % 8 !== 0 ||
    opts.patchSize < minGhostPatch ||
    opts.patchSize > 1024
  ) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `patchSize must be a multiple of 8 in ${minGhostPatch}..1024, got ${opts.patchSize}`,
      { reason: "jpeg-history-invalid-options", details: { patchSize: opts.patchSize } },
    );
  }
  return opts;
}

const formatNames: Record<ImageFormat, string> = {
  jpeg: "JPEG",
  png: "PNG",
  webp: "WebP",
  avif: "AVIF",
  tiff: "TIFF",
  gif: "GIF",
};

const appNames: Record<keyof AppSegments, string> = {
  jfif: "JFIF",
  exif: "Exif",
  xmp: "XMP",
  icc: "ICC profile",
  mpf: "MPF",
  photoshop: "Photoshop IRB",
  adobe: "Adobe APP14",
};

/**
 * The trace's sentences on a JPEG history: how the file was saved, with the numbers and places
 * behind it, and always the reminder that saving is not making. `ghostSkipped` says why no ghost
 * curve was read (null when one was, or when the file is not a JPEG).
 */
function historyText(
  history: Omit<JpegHistory, "text">,
  ghostSkipped: string | null,
  image: { width: number; height: number },
): string {
  if (!history.isJpeg) {
    const what =
      history.format === "jpeg"
        ? "the bytes do not start with a JPEG marker"
        : `the file is ${formatNames[history.format]}, not JPEG`;
    return `JPEG history: ${what}; no JPEG history to read (a file's format says how it was saved, not whether it was generated).`;
  }
  const opening = history.unreadable
    ? `JPEG history: the markers are unreadable (${history.unreadable})`
    : "JPEG history";
  const t = history.tables;
  if (t === null) {
    const why = history.unreadable
      ? "the quantisation tables could not be read"
      : `the file defines no quantisation table for its first component (${history.coding ?? "no frame"} coding)`;
    return `${opening}; ${why}, so no history is told. How a file was saved is not evidence of generation either way.`;
  }
  const parts: string[] = [];
  if (t.kind === "standard") {
    parts.push(
      `${opening}: libjpeg standard tables at quality ${t.quality}, written by an image library (libjpeg, libvips, Pillow, a browser, most apps and generators' savers), not by a camera's own encoder.`,
    );
  } else {
    parts.push(
      `${opening}: custom quantisation tables, closest to IJG quality ${t.nearestQuality}: what camera firmware and phones write, but also Photoshop and some other editors and encoders, so they do not prove a camera.`,
    );
  }
  parts.push(frameText(history));
  if (t.kind === "standard" && history.app?.exif) {
    parts.push(
      "Exif kept over a library's tables: if it names a camera, software re-saved the file after the camera (a few older cameras do use libjpeg's tables).",
    );
  }
  parts.push(ghostText(history, ghostSkipped, image, t));
  parts.push("How a file was saved is not evidence of generation either way.");
  return parts.join(" ");
}

// "Progressive, 4:2:0 chroma; segments: JFIF, ICC profile."
function frameText(history: Omit<JpegHistory, "text">): string {
  const coding = history.coding
    ? history.coding[0]!.toUpperCase() + history.coding.slice(1)
    : "Unknown coding";
  const sub = history.subsampling === "grey" ? "greyscale" : `${history.subsampling} chroma`;
  const present = (Object.keys(appNames) as Array<keyof AppSegments>).filter((k) => history.app?.[k]);
  const segments =
    present.length > 0
      ? `segments: ${present.map((k) => appNames[k]).join(", ")}`
      : "no application segments (metadata stripped)";
  return `${coding}${history.subsampling ? `, ${sub}` : ""}; ${segments}.`;
}

function ghostText(
  history: Omit<JpegHistory, "text">,
  skipped: string | null,
  image: { width: number; height: number },
  tables: NonNullable<JpegHistory["tables"]>,
): string {
  if (skipped !== null) return `No JPEG ghost read: ${clause(skipped)}.`;
  const patches = history.patches;
  const last = tables.kind === "standard" ? tables.quality : tables.nearestQuality;
  const size = patches[0]!.size;
  const over = `${plural(patches.length, "patch", "patches")} of ${size} px`;
  const ghosts = patches.filter((p): p is GhostPatch & { ghostQuality: number } => p.ghostQuality !== null);
  // Regions in patch order, each once: two patches can share a third of the image.
  const where = (list: GhostPatch[]) => [...new Set(list.map((p) => regionName(p, image)))].join(", ");
  const dips = (list: GhostPatch[]) => {
    const values = list.map((p) => p.dip);
    const lo = Math.min(...values).toFixed(2);
    const hi = Math.max(...values).toFixed(2);
    return lo === hi ? `dip ${lo}` : `dips ${lo}–${hi}`;
  };
  if (history.earlierQuality !== null) {
    return `A JPEG ghost at q≈${history.earlierQuality} in ${ghosts.length} of ${over} (${where(ghosts)}; ${dips(ghosts)}): compressed before at about that quality, then re-saved at q≈${last} — a re-upload or re-edit.`;
  }
  if (ghosts.length > 0) {
    return `A JPEG ghost in only ${ghosts.length} of ${over} (${ghosts.map((p) => `q≈${p.ghostQuality} in the ${regionName(p, image)}`).join(", ")}; ${dips(ghosts)}): too local to call a re-save (a pasted region, or chance).`;
  }
  const ceiling = ghostCeiling(last);
  return ceiling === null
    ? `No JPEG ghost can show: the last quality (≈${last}) leaves no lower quality to test.`
    : `No JPEG ghost in ${over} (deepest dip ${Math.max(...patches.map((p) => p.dip)).toFixed(2)}): no earlier compression at q ≤ ${ceiling} shows (a ghost shows only an earlier, lower quality).`;
}
