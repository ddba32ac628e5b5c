import { luminance, residualRms, type DecodedImage } from "@mirage/imaging";
import { fft } from "./fft.js";
import { median } from "./stats.js";

/** What the noise residual of one square patch shows. */
export interface PatchNoise {
  x: number;
  y: number;
  size: number;
  /** RMS of the high-pass residual of luminance (pixel minus its 4-neighbour mean), in grey levels. */
  energy: number;
  /** Peak-to-background ratio of the residual's spectrum at the 8-px block harmonics (JPEG grid). */
  blockGrid: number;
  /** The strongest other periodic peak of the residual (resampling), or null when none stands out. */
  periodic: { period: number; ratio: number } | null;
}

/** What the numbers are read against (chosen on synthetic noise and on aigi-v1 photos, upscaled or not). */
export const noiseThresholds = {
  /**
   * A spectral peak this many times its neighbourhood's median is a periodic trace. Measured on
   * aigi-v1 photos: 2× upscales mostly 10–130; untouched photos reached 10 in one of ~55 patches.
   */
  peakRatio: 10,
  /** Block-grid harmonics this strong mean the pixels passed through an 8 × 8 block codec. */
  blockGrid: 3,
  /** Residual RMS below this (grey levels) is "very smooth": little grain for the model to read. */
  flatEnergy: 1,
} as const;

/** Patch side: the largest power of two up to this, that fits the image. */
const MAX_PATCH = 256;
/** Below this the spectrum has too few bins to tell a peak from noise. */
const MIN_PATCH = 64;

/**
 * Analyses the noise residual of square patches centred on `centres`: its energy, and the
 * periodicity of its magnitude along rows and columns (peaks at 1/8 cycles per pixel betray an
 * 8 × 8 block codec; a peak elsewhere, e.g. 1/2, betrays resampling such as 2× upscaling — in
 * the manner of Popescu & Farid / Kirchner's resampling detectors). Returns [] when the image is
 * too small for a meaningful spectrum.
 */
export function analyzePatches(image: DecodedImage, centres: Array<{ x: number; y: number }>): PatchNoise[] {
  const size = patchSize(image.width, image.height);
  if (size === 0) return [];
  const seen = new Set<string>();
  const patches: PatchNoise[] = [];
  for (const centre of centres) {
    const x = clampInt(centre.x - size / 2, 0, image.width - size);
    const y = clampInt(centre.y - size / 2, 0, image.height - size);
    const key = `${x},${y}`;
    if (seen.has(key)) continue;
    seen.add(key);
    patches.push(analyzePatch(luminance(image.data, image.width, x, y, size), size, x, y));
  }
  return patches;
}

/** The patch side used for an image, or 0 when the image is too small to analyse. */
export function patchSize(width: number, height: number): number {
  const fit = Math.min(MAX_PATCH, width, height);
  if (fit < MIN_PATCH) return 0;
  return 2 ** Math.floor(Math.log2(fit));
}

function analyzePatch(lum: Float64Array, size: number, x: number, y: number): PatchNoise {
  const energy = residualRms(lum, size);
  const spectra = [residualSpectrum(lum, size, "rows"), residualSpectrum(lum, size, "columns")];
  const blockBins = [size / 8, size / 4, (3 * size) / 8];
  const blockGrid = Math.max(...spectra.map((s) => median(blockBins.map((k) => peakRatio(s, k)))));
  let periodic: PatchNoise["periodic"] = null;
  for (const spectrum of spectra) {
    // Peaks below 1/32 cycles per pixel are image content (edges, gradients), not resampling.
    for (let k = Math.max(3, size / 32); k <= size / 2; k++) {
      if (blockBins.some((b) => Math.abs(k - b) <= 1)) continue;
      const ratio = peakRatio(spectrum, k);
      if (ratio >= noiseThresholds.peakRatio && ratio > (periodic?.ratio ?? 0))
        periodic = { period: size / k, ratio };
    }
  }
  return { x, y, size, energy, blockGrid, periodic };
}

/**
 * Mean power spectrum, over all lines along `along`, of |second difference| of luminance along
 * that axis (mean removed). Interpolated samples have near-zero second differences, so resampling
 * makes the magnitude periodic; block codecs make it jump at block edges.
 */
function residualSpectrum(lum: Float64Array, size: number, along: "rows" | "columns"): Float64Array {
  const power = new Float64Array(size);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const at =
    along === "rows"
      ? (line: number, t: number) => lum[line * size + t]!
      : (line: number, t: number) => lum[t * size + line]!;
  for (let line = 0; line < size; line++) {
    let sum = 0;
    for (let t = 0; t < size; t++) {
      const prev = at(line, t === 0 ? 1 : t - 1);
      const next = at(line, t === size - 1 ? size - 2 : t + 1);
      const e = Math.abs(2 * at(line, t) - prev - next);
      re[t] = e;
      sum += e;
    }
    const m = sum / size;
    for (let t = 0; t < size; t++) re[t] = re[t]! - m;
    im.fill(0);
    fft(re, im);
    for (let k = 0; k < size; k++) power[k] = power[k]! + re[k]! * re[k]! + im[k]! * im[k]!;
  }
  return power;
}

// Power at bin k over the median power 2–8 bins away on both sides (circular: the spectrum of a
// real signal is symmetric, so at 1/2 cycles per pixel both sides are the bins below).
function peakRatio(power: Float64Array, k: number): number {
  const n = power.length;
  const around: number[] = [];
  for (let d = 2; d <= 8; d++) around.push(power[(k + d) % n]!, power[(k - d + n) % n]!);
  const background = median(around);
  return background > 0 ? power[k % n]! / background : 0;
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.round(Math.min(hi, Math.max(lo, v)));
}
