import { MirageError } from "@mirage/errors";
import type { DecodedImage } from "@mirage/imaging";
import {
  blockGrid,
  ghostQualities,
  ghostThresholds,
  latticeFit,
  lumaTable,
  orientTable,
  patchCoefficients,
  readCurve,
  requantiseError,
  type BlockGrid,
  type GhostPatch,
} from "./jpeg-ghost.js";
import type { JpegMarkers } from "./jpeg-markers.js";

/** Below this side a patch has too few blocks (64) for a stable curve. */
export const minGhostPatch = 64;

/** What the patches say: an earlier quality and each patch's reading, or why none was read. */
export type GhostReading = { earlierQuality: number | null; patches: GhostPatch[] } | { skipped: string };

/** How many patches, and how large. */
export interface GhostPatchOptions {
  maxPatches: number;
  patchSize: number;
}

/**
 * Reads JPEG ghosts in up to `maxPatches` textured patches of `image` (decoded from the file
 * whose markers are `markers`, luminance table `luma`, last quality about `lastQuality`). Skips,
 * with the reason, files whose pixels cannot sit on the file's quantisation lattice. Throws
 * MirageError INVALID_ARGUMENT when `image` has not the frame's size (the caller's error).
 */
export function readGhosts(
  markers: JpegMarkers,
  luma: Uint16Array,
  lastQuality: number,
  image: DecodedImage,
  opts: GhostPatchOptions,
): GhostReading {
  const frame = markers.frame!;
  const n = frame.components.length;
  if (n === 4 || n === 2 || (n === 3 && markers.adobeTransform === 0)) {
    return { skipped: "the file is not coded as YCbCr or grey (CMYK or RGB JPEG)" };
  }
  if (frame.height === 0) return { skipped: "the frame declares its height only after the scan (DNL)" };
  const grid = blockGrid(markers.orientation, frame);
  const [w, h] = grid.transposed ? [frame.height, frame.width] : [frame.width, frame.height];
  if (w === image.width && h === image.height) return finishGhosts(image, luma, lastQuality, grid, opts);
  if (h === image.width && w === image.height) {
    // The decoder turned the image in a way the EXIF we read does not state: trust the pixels'
    // shape for the transposition; the lattice check rejects the patches if the guess is wrong.
    return finishGhosts(
      image,
      luma,
      lastQuality,
      { offsetX: 0, offsetY: 0, transposed: !grid.transposed },
      opts,
    );
  }
  throw new MirageError(
    "INVALID_ARGUMENT",
    `readJpegHistory: the image is ${image.width}×${image.height}, the JPEG frame ${frame.width}×${frame.height}: pass the pixels decoded from these bytes`,
    {
      reason: "jpeg-history-image-mismatch",
      details: {
        imageWidth: image.width,
        imageHeight: image.height,
        frameWidth: frame.width,
        frameHeight: frame.height,
      },
    },
  );
}

function finishGhosts(
  image: DecodedImage,
  luma: Uint16Array,
  lastQuality: number,
  grid: BlockGrid,
  opts: GhostPatchOptions,
): GhostReading {
  const size = Math.min(
    opts.patchSize,
    Math.floor((image.width - grid.offsetX) / 8) * 8,
    Math.floor((image.height - grid.offsetY) / 8) * 8,
  );
  if (size < minGhostPatch)
    return { skipped: `the image is too small (under ${minGhostPatch} px) for a stable curve` };
  const candidates = texturedPatches(image, grid, size);
  const patches: GhostPatch[] = [];
  let flat = 0;
  let offLattice = 0;
  const tables = new Map(ghostQualities.map((q) => [q, lumaTable(q, grid)]));
  const own = orientTable(luma, grid);
  // Most textured first; a patch that turns out flat gives its place to the next candidate, up
  // to twice the patches wanted, so that a studio shot costs at most double.
  for (const at of candidates.slice(0, 2 * opts.maxPatches)) {
    if (patches.length === opts.maxPatches) break;
    const coefficients = patchCoefficients(image, { ...at, size });
    const errorAt = (q: number) => requantiseError(coefficients, tables.get(q) ?? lumaTable(q, grid));
    const coarsest = errorAt(ghostQualities[0]!);
    if (coarsest < ghostThresholds.flat) {
      flat++;
      continue;
    }
    if ((latticeFit(coefficients, own) ?? 0) > ghostThresholds.lattice) {
      offLattice++;
      continue;
    }
    patches.push({ ...at, size, ...readCurve(errorAt, lastQuality) });
  }
  if (patches.length === 0) {
    return {
      skipped:
        offLattice > 0
          ? "the decoded pixels do not sit on the file's own quantisation grid (a colour profile converted on decoding, or pixels edited after decoding)"
          : flat > 0
            ? "every patch is flat: nothing to quantise"
            : "no patch fits the image",
    };
  }
  patches.sort((a, b) => a.y - b.y || a.x - b.x);
  return { earlierQuality: earlierQualityOf(patches), patches };
}

// A ghost in at least half the patches (and in two, when there are two or more) is the file's
// history; fewer is local (a pasted region) or chance, and is reported but not concluded from.
function earlierQualityOf(patches: GhostPatch[]): number | null {
  const ghosts = patches
    .flatMap((p) => (p.ghostQuality === null ? [] : [p.ghostQuality]))
    .sort((a, b) => a - b);
  const needed = Math.max(Math.min(2, patches.length), Math.ceil(patches.length / 2));
  if (ghosts.length < needed) return null;
  return ghosts[Math.floor((ghosts.length - 1) / 2)]!;
}

/**
 * Patch corners on the block grid, from a 3 × 3 spread over the image, the most textured first:
 * flat sky and studio backgrounds have nothing for a quantiser to round.
 */
function texturedPatches(
  image: DecodedImage,
  grid: BlockGrid,
  size: number,
): Array<{ x: number; y: number }> {
  const along = (length: number, offset: number) => {
    const span = length - offset - size;
    return [...new Set([0, 1, 2].map((i) => offset + 8 * Math.floor((span * i) / 2 / 8)))];
  };
  const corners = along(image.height, grid.offsetY).flatMap((y) =>
    along(image.width, grid.offsetX).map((x) => ({ x, y, texture: texture(image, x, y, size) })),
  );
  return corners.sort((a, b) => b.texture - a.texture).map(({ x, y }) => ({ x, y }));
}

// Mean |Laplacian| of the green channel over every other pixel of the patch: cheap, and enough
// to rank patches by how much detail they hold.
function texture(image: DecodedImage, x0: number, y0: number, size: number): number {
  const stride = image.width * 3;
  let sum = 0;
  let n = 0;
  for (let y = y0 + 1; y < y0 + size - 1; y += 2) {
    for (let x = x0 + 1; x < x0 + size - 1; x += 2) {
      const i = y * stride + x * 3 + 1;
      const d = image.data;
      sum += Math.abs(4 * d[i]! - d[i - 3]! - d[i + 3]! - d[i - stride]! - d[i + stride]!);
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}
