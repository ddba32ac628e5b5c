import { noiseThresholds, type PatchNoise } from "./noise.js";
import { median } from "./stats.js";
import { plural } from "./text.js";

/** What the noise analysis concludes, and the one small adjustment it may make. */
export interface NoiseFindings {
  patches: number;
  /** Patches whose residual shows an 8 × 8 block grid. */
  blockGrid: number;
  /** Patches with a resampling peak, and the most common period among them. */
  resampled: number;
  period: number | null;
  /** Median residual RMS, grey levels. */
  energy: number;
  /**
   * Factor (≤ 1) applied to the calibrated log-odds of the pixel model: it pulls pAi toward 0.5,
   * never away, so the noise analysis can only make the conclusion more cautious.
   */
  shrink: number;
  text: string;
}

/**
 * Resampled pixels (2× upscales above all) are a known confusion of pixel models both ways: real
 * photos upscaled look generated, generated images resized lose their traces. When most patches
 * show it, the pixel evidence counts 15% less.
 */
const RESAMPLED_SHRINK = 0.85;
/** Very smooth pixels (studio backgrounds, denoising, blur) give the model little to read: 10% less. */
const FLAT_SHRINK = 0.9;

/** Reads the per-patch numbers into findings, a sentence for the trace and the shrink factor. */
export function readNoise(patches: PatchNoise[], tooSmall: boolean): NoiseFindings {
  if (patches.length === 0) {
    const why = tooSmall ? "the image is too small for a meaningful spectrum" : "no patch could be analysed";
    return {
      patches: 0,
      blockGrid: 0,
      resampled: 0,
      period: null,
      energy: 0,
      shrink: 1,
      text: `Noise and spectrum: skipped, ${why}.`,
    };
  }
  const n = patches.length;
  const energies = patches.map((p) => p.energy);
  const energy = median(energies);
  const blockGrid = patches.filter((p) => p.blockGrid >= noiseThresholds.blockGrid).length;
  const periodic = patches.flatMap((p) => (p.periodic ? [p.periodic.period] : []));
  const period = periodic.length > 0 ? mostCommon(periodic.map((v) => Math.round(v * 10) / 10)) : null;
  const resampledMost = periodic.length * 2 >= n;
  const flat = energy < noiseThresholds.flatEnergy;
  const shrink = (resampledMost ? RESAMPLED_SHRINK : 1) * (flat ? FLAT_SHRINK : 1);

  const size = patches[0]!.size;
  const parts = [
    `Noise residual over ${plural(n, "patch", "patches")} of ${size} px: ${energy.toFixed(1)} grey levels RMS (range ${Math.min(...energies).toFixed(1)}–${Math.max(...energies).toFixed(1)})${flat ? ", very smooth: little grain for the pixel model to read (studio backgrounds, denoising, blur or a generator's clean output)" : ""}.`,
  ];
  if (Math.max(...energies) > 3 * Math.max(Math.min(...energies), 0.5)) {
    parts.push(
      "The noise level differs strongly between regions (flat content or a local edit can both do that).",
    );
  }
  parts.push(
    blockGrid > 0
      ? `An 8-px block grid in ${blockGrid} of ${n}: the pixels went through JPEG at least once, as photos and re-uploads both do, so it is no evidence either way.`
      : "No 8-px block grid: no visible JPEG history at this alignment.",
  );
  if (period !== null) {
    parts.push(
      `A periodic trace of ${period} px in ${periodic.length} of ${n}: the pixels were resampled (e.g. ${period === 2 ? "a 2× upscale" : "a resize"})${resampledMost ? ", which misleads pixel models both ways, so the pixel evidence counts less" : ", only in part of the image"}.`,
    );
  } else {
    parts.push("No resampling peak.");
  }
  if (flat) parts.push("The smooth pixels make the pixel evidence count less.");
  return { patches: n, blockGrid, resampled: periodic.length, period, energy, shrink, text: parts.join(" ") };
}

function mostCommon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}
