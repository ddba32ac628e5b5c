import type { DecodedImage } from "@mirage/imaging";
import { ijgLuminance, ijgTable } from "./jpeg-tables.js";

/** Where the 8 × 8 blocks of the stored image fall on the decoded (oriented) pixels. */
export interface BlockGrid {
  /** Pixel offset of the first whole block along x and y of the decoded image (0–7). */
  offsetX: number;
  offsetY: number;
  /** The decoded image is the stored one transposed (EXIF orientations 5–8): tables transpose too. */
  transposed: boolean;
}

/** What one patch's recompression curve shows. */
export interface GhostPatch {
  x: number;
  y: number;
  size: number;
  /** The earlier quality this patch's curve dips at, or null when it shows no ghost. */
  ghostQuality: number | null;
  /** Depth of the ghost's dip, or of the deepest dip when there is no ghost: 0–1 (see {@link ghostThresholds}). */
  dip: number;
}

/** What the numbers are read against (chosen on aigi-v1 photos saved once and twice: see the tests). */
export const ghostThresholds = {
  /**
   * A dip at least this deep is a ghost (see {@link readCurve}). Saved once (25 aigi-v1 PNGs
   * and 25 photos halved to erase their own history, each at q 50–95: 1332 patches), no patch
   * has a dip at all. Saved twice (10 PNGs), the median patch dips 0.5–0.85 when the earlier
   * steps are about an integer multiple of the later (60 → 80, 70 → 92, 75 → 90, 80 → 95,
   * 45 → 85): found in 49 of 50 files, within 1 of the earlier quality. At ratios near 1.7 or
   * 2.3 (50 → 70, 65 → 85) the dip is 0.15–0.2 and mostly missed: a faint ghost is left unsaid.
   */
  dip: 0.3,
  /**
   * A patch whose error at the lowest tested quality (30) is below this, in mean squared grey
   * levels, is flat: a few coefficients make its curve, which then jumps about. Without this
   * floor, 51 of the 164 patches of aigi-v1's JPEGs under 4 showed a ghost (studio backgrounds,
   * not re-saves), 2 of the 329 between 4 and 8.
   */
  flat: 6,
  /**
   * A {@link latticeFit} above this means the decoded pixels do not sit on the file's own
   * quantisation lattice (an ICC profile converted on decoding, a misaligned grid, pixels that
   * are not this file's), and no curve can be read. On aigi-v1's JPEGs (2741 patches) the
   * decoded pixels measure 0.07 in the median and 0.56 at the 99.5th percentile (profiles
   * converted on decoding, clipped studio white); the same patches moved 4 px off the grid
   * measure 0.55 at the least, 0.85 in the median.
   */
  lattice: 0.6,
} as const;

/**
 * The qualities re-tried: 30 to 98 in steps of 4. A ghost between two of them is found by its
 * neighbours and then placed to the exact quality ({@link readCurve}); below 50, where few savers
 * go, so that a ghost at 50 has a neighbour on each side and an earlier quality under 50 is not
 * mistaken for its echo at half its steps.
 */
export const ghostQualities: readonly number[] = Array.from({ length: 18 }, (_, i) => 30 + 4 * i);

/**
 * Where the blocks of a stored `width` × `height` frame land after EXIF `orientation` (1–8): a
 * mirrored axis ends, rather than starts, on a block boundary.
 */
export function blockGrid(orientation: number, stored: { width: number; height: number }): BlockGrid {
  const transposed = orientation >= 5;
  // Orientation → is the decoded x (resp. y) axis the stored axis reversed?
  const flipX = [2, 3, 6, 7].includes(orientation);
  const flipY = [3, 4, 7, 8].includes(orientation);
  const w = transposed ? stored.height : stored.width;
  const h = transposed ? stored.width : stored.height;
  return { offsetX: flipX ? w % 8 : 0, offsetY: flipY ? h % 8 : 0, transposed };
}

// Orthonormal 8-point DCT-II basis: basis[u * 8 + x] = c(u)/2 · cos((2x + 1)uπ/16).
const basis = Float64Array.from({ length: 64 }, (_, i) => {
  const u = Math.floor(i / 8);
  const x = i % 8;
  return ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
});

/**
 * The DCT coefficients of the luminance of every 8 × 8 block of a patch (aligned to the file's
 * block grid), level-shifted by 128 as JPEG does: what a re-encoder would quantise. Block after
 * block, each in natural order (row v, column u).
 */
export function patchCoefficients(
  image: DecodedImage,
  patch: { x: number; y: number; size: number },
): Float64Array {
  const { size } = patch;
  const lum = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    let src = ((patch.y + r) * image.width + patch.x) * 3;
    const row = r * size;
    for (let c = 0; c < size; c++, src += 3) {
      lum[row + c] =
        0.299 * image.data[src]! + 0.587 * image.data[src + 1]! + 0.114 * image.data[src + 2]! - 128;
    }
  }
  const out = new Float64Array(size * size);
  const rows = new Float64Array(64);
  let o = 0;
  for (let by = 0; by < size; by += 8) {
    for (let bx = 0; bx < size; bx += 8) {
      for (let r = 0; r < 8; r++) dct8(lum, (by + r) * size + bx, 1, rows, r * 8, 1);
      for (let u = 0; u < 8; u++) dct8(rows, u, 8, out, o + u, 8);
      o += 64;
    }
  }
  return out;
}

// One 8-point DCT from src[off + k·stride] to dst[doff + u·dstride]. The basis is symmetric for
// even u and antisymmetric for odd u, so sums and differences of mirrored samples halve the work.
function dct8(
  src: Float64Array,
  off: number,
  stride: number,
  dst: Float64Array,
  doff: number,
  dstride: number,
): void {
  const x0 = src[off]!;
  const x1 = src[off + stride]!;
  const x2 = src[off + 2 * stride]!;
  const x3 = src[off + 3 * stride]!;
  const x4 = src[off + 4 * stride]!;
  const x5 = src[off + 5 * stride]!;
  const x6 = src[off + 6 * stride]!;
  const x7 = src[off + 7 * stride]!;
  const s = [x0 + x7, x1 + x6, x2 + x5, x3 + x4] as const;
  const d = [x0 - x7, x1 - x6, x2 - x5, x3 - x4] as const;
  for (let u = 0; u < 8; u++) {
    const v = u % 2 === 0 ? s : d;
    const b = u * 8;
    dst[doff + u * dstride] =
      basis[b]! * v[0] + basis[b + 1]! * v[1] + basis[b + 2]! * v[2] + basis[b + 3]! * v[3];
  }
}

/** The IJG luminance table for `quality`, transposed when the decoded image is (EXIF 5–8). */
export function lumaTable(quality: number, grid: BlockGrid): Uint16Array {
  return orient(ijgTable(ijgLuminance, quality), grid.transposed);
}

/** A file's own table as it applies to the decoded image's blocks. */
export function orientTable(table: Uint16Array, grid: BlockGrid): Uint16Array {
  return orient(table, grid.transposed);
}

/**
 * Mean squared error of re-quantising `coefficients` with `table` (natural order). The DCT is
 * orthonormal, so this is the pixel-domain error of re-encoding the luminance, up to the final
 * rounding to integers (a constant): Farid's JPEG ghost without running an encoder per quality.
 */
export function requantiseError(coefficients: Float64Array, table: Uint16Array): number {
  let total = 0;
  for (let k = 0; k < 64; k++) {
    const step = table[k]!;
    const inverse = 1 / step;
    let sum = 0;
    for (let i = k; i < coefficients.length; i += 64) {
      const x = coefficients[i]! * inverse;
      // floor(x + 0.5) rather than Math.round: the same lattice, four times faster in V8.
      const r = x - Math.floor(x + 0.5);
      sum += r * r;
    }
    total += sum * step * step;
  }
  return total / coefficients.length;
}

/**
 * How well `coefficients` sit on the lattice of `table`: the mean squared distance to the nearest
 * multiple of the step, in steps, of the coefficients the table keeps (|c| ≥ 0.75 step) where the
 * step is at least 4, over 1/12 — its value for coefficients spread evenly, off any lattice. So
 * about 0 for pixels decoded from a file quantised with `table`, about 1 otherwise. Null when
 * fewer than 256 coefficients count (a near-lossless table, a flat patch): then it cannot tell.
 */
export function latticeFit(coefficients: Float64Array, table: Uint16Array): number | null {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < 64; k++) {
    const step = table[k]!;
    // Below 4 the decoder's rounding to integers (about ±0.35 per coefficient) fills the step.
    if (step < 4) continue;
    for (let i = k; i < coefficients.length; i += 64) {
      const x = coefficients[i]! / step;
      if (Math.abs(x) < 0.75) continue;
      const r = x - Math.floor(x + 0.5);
      sum += r * r;
      n++;
    }
  }
  return n < 256 ? null : (sum / n) * 12;
}

/**
 * Reads a recompression curve, `errorAt(q)` being the error of re-quantising at quality q: a
 * candidate is a local minimum of the coarse curve at `qualities` (the curve rises again after
 * it, which a single compression's curve never does below its own quality); its exact quality is
 * the minimum within 3 of it, and its dip is 1 − error there / the lower of the errors 4
 * qualities either side. Only candidates whose right neighbour is at most `lastQuality` − 4
 * count: nearer the last quality the curve falls into the last compression's own minimum. The
 * ghost is the lowest-quality candidate past {@link ghostThresholds}.dip, not the deepest: an
 * earlier quality's lattice also lies on the lattices of qualities with about half its steps (q
 * 60 shows again near q 80), never on coarser ones. `dip` is the ghost's, or the deepest seen.
 */
export function readCurve(
  errorAt: (quality: number) => number,
  lastQuality: number,
  qualities: readonly number[] = ghostQualities,
): { ghostQuality: number | null; dip: number } {
  const cache = new Map<number, number>();
  const error = (q: number) => {
    let e = cache.get(q);
    if (e === undefined) cache.set(q, (e = errorAt(q)));
    return e;
  };
  let deepest = 0;
  for (let i = 1; i + 1 < qualities.length && qualities[i + 1]! <= lastQuality - 4; i++) {
    const here = error(qualities[i]!);
    if (!(here < error(qualities[i - 1]!) && here < error(qualities[i + 1]!))) continue;
    let best = qualities[i]!;
    for (let q = Math.max(1, best - 3); q <= Math.min(100, qualities[i]! + 3); q++)
      if (error(q) < error(best)) best = q;
    const around = Math.min(error(Math.max(1, best - 4)), error(Math.min(100, best + 4)));
    const dip = around > 0 ? Math.max(0, 1 - error(best) / around) : 0;
    if (dip >= ghostThresholds.dip) return { ghostQuality: best, dip };
    deepest = Math.max(deepest, dip);
  }
  return { ghostQuality: null, dip: deepest };
}

function orient(table: Uint16Array, transposed: boolean): Uint16Array {
  if (!transposed) return table;
  return Uint16Array.from({ length: 64 }, (_, i) => table[(i % 8) * 8 + Math.floor(i / 8)]!);
}

/**
 * The highest earlier quality a ghost can show below `lastQuality` (the curve is read at the
 * tested qualities whose right neighbour is at most `lastQuality` − 4), or null when none can.
 */
export function ghostCeiling(
  lastQuality: number,
  qualities: readonly number[] = ghostQualities,
): number | null {
  let ceiling: number | null = null;
  for (let i = 1; i + 1 < qualities.length && qualities[i + 1]! <= lastQuality - 4; i++)
    ceiling = qualities[i]!;
  return ceiling;
}
