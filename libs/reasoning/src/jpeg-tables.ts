/**
 * How a file's quantisation tables compare with libjpeg's: `standard` when they are the IJG
 * (Annex K) tables scaled for some quality — what libjpeg, libjpeg-turbo, libvips, Pillow,
 * browsers and most apps write — or `custom` (camera firmware, phones, Photoshop and other
 * encoders with their own tables), with the IJG quality they come closest to.
 */
export type TableClass = { kind: "standard"; quality: number } | { kind: "custom"; nearestQuality: number };

/** The IJG luminance table (ITU-T T.81 Annex K.1) in natural order: quality 50. */
export const ijgLuminance: readonly number[] = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** The IJG chrominance table (ITU-T T.81 Annex K.2) in natural order: quality 50. */
export const ijgChrominance: readonly number[] = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  ...Array<number>(32).fill(99),
];

/** libjpeg's `jpeg_quality_scaling`: quality 1–100 to a percentage of the base table. */
export function ijgScale(quality: number): number {
  return quality < 50 ? Math.floor(5000 / quality) : 200 - 2 * quality;
}

/**
 * A base table scaled for `quality` as libjpeg's `jpeg_add_quant_table` does: rounded, at least 1,
 * at most 255 when baseline is forced (what every common saver does), else 32767.
 */
export function ijgTable(base: readonly number[], quality: number, max = 255): Uint16Array {
  const scale = ijgScale(quality);
  return Uint16Array.from(base, (b) => Math.min(max, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

/**
 * Classifies a luminance table (and the chrominance table, when the frame has a separate one)
 * against the IJG tables at qualities 1–100. `standard` needs every entry to equal libjpeg's
 * value, or to lie within one step of the unrounded scaled value (encoders that round the same
 * scaling differently); both tables must agree on the quality. Otherwise `custom`, with the
 * quality whose IJG tables are closest in mean absolute log ratio (a scale-free distance, so
 * that a step of 2 against 1 counts like 100 against 50).
 */
export function classifyTables(luma: Uint16Array, chroma: Uint16Array | null): TableClass {
  let best: { quality: number; error: number } | null = null;
  let nearest = { quality: 50, distance: Infinity };
  for (let quality = 1; quality <= 100; quality++) {
    const lumaFit = fit(luma, ijgLuminance, quality);
    const chromaFit = chroma === null ? { matches: true, error: 0 } : fit(chroma, ijgChrominance, quality);
    if (lumaFit.matches && chromaFit.matches) {
      const error = lumaFit.error + chromaFit.error;
      // The lowest rounding error wins; on a tie the higher quality (q 100 and a near-1 table).
      if (best === null || error <= best.error) best = { quality, error };
    }
    const distance =
      logDistance(luma, ijgLuminance, quality) + (chroma ? logDistance(chroma, ijgChrominance, quality) : 0);
    if (distance < nearest.distance) nearest = { quality, distance };
  }
  return best !== null
    ? { kind: "standard", quality: best.quality }
    : { kind: "custom", nearestQuality: nearest.quality };
}

// Whether `table` is `base` scaled for `quality` (exactly, or within a rounding step), and the
// summed distance to the unrounded values.
function fit(
  table: Uint16Array,
  base: readonly number[],
  quality: number,
): { matches: boolean; error: number } {
  const scale = ijgScale(quality);
  let error = 0;
  for (let i = 0; i < 64; i++) {
    const v = table[i]!;
    const exact = Math.max(1, Math.floor((base[i]! * scale + 50) / 100));
    const ideal = Math.max(1, (base[i]! * scale) / 100);
    const matches = v === exact || v === Math.min(255, exact) || Math.abs(v - ideal) < 1;
    if (!matches) return { matches: false, error: Infinity };
    error += Math.abs(v - ideal);
  }
  return { matches: true, error };
}

function logDistance(table: Uint16Array, base: readonly number[], quality: number): number {
  const reference = ijgTable(base, quality);
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += Math.abs(Math.log(table[i]! / reference[i]!));
  return sum / 64;
}
