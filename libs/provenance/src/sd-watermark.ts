import { binomialTailHalf, permutationMatchTail } from "./internal/binomial.js";
import type { DwtDctEmbedding, RgbPixels } from "./internal/dwt-dct-votes.js";
import { scanDwtDctBlocks, tallyDwtDctVotes, votesToBits } from "./internal/dwt-dct-votes.js";

export type { DwtDctEmbedding, RgbPixels };

/** The Stable Diffusion watermarks the decoder looks for. */
export type SdWatermarkName = "sd1" | "sd2" | "sdxl";

/** One watermark pattern and how its reference code embedded it. */
export interface SdWatermarkPattern {
  name: SdWatermarkName;
  /** For people: "Stable Diffusion XL". */
  label: string;
  /** The payload as the reference scripts set it. */
  payload: string;
  /** The bits, most significant first. */
  bits: readonly number[];
  /** The colour paths the pattern's reference code used (see {@link DwtDctEmbedding}). */
  embeddings: readonly DwtDctEmbedding[];
  /** Fewest matching bits that count as a match (with balanced decoded bits). */
  minMatch: number;
}

/** A watermark found in the pixels. */
export interface WatermarkFinding {
  watermark: SdWatermarkName;
  label: string;
  payload: string;
  embedding: DwtDctEmbedding;
  bitsMatched: number;
  bitsTotal: number;
  /**
   * Union bound on the chance that an unmarked image matches this well in any of the tests the
   * decoder ran: the larger of P(Binomial(n, ½) ≥ matched) and the same chance given the decoded
   * bits' balance of 0s and 1s, times the number of (pattern, colour path) tests.
   */
  falsePositiveBound: number;
  decisive: boolean;
  /** The bits read, as 0/1 characters. */
  decodedBits: string;
}

function bitsOfBytes(text: string): number[] {
  const bits: number[] = [];
  for (const byte of new TextEncoder().encode(text)) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
  return bits;
}

function bitsOfHex(hex: string): number[] {
  const bits: number[] = [];
  for (const digit of hex) {
    const value = Number.parseInt(digit, 16);
    for (let i = 3; i >= 0; i--) bits.push((value >> i) & 1);
  }
  return bits;
}

/**
 * The three patterns. Thresholds: SDXL's ≥34 of 48 bits (the value Stability's own checks use) is
 * a per-test chance of 2.8e-3 that random bits match; SD 2's 25 of 32 (1.0e-3) and SD 1's 85 of
 * 136 (2.2e-3) are the comparable cut-offs. A lopsided decode (an image whose blocks nearly all
 * read 1, say) agrees with a pattern of mostly 1s without carrying it: under a null that keeps the
 * decoded balance of 0s and 1s, it must be as unlikely as a decode balanced like the pattern itself
 * at the cut-off, so it needs more bits. A match is decisive when its union bound over all five tests is ≤ 1e-6 (with balanced
 * bits: SDXL ≥42, SD 2 ≥30, SD 1 ≥98).
 */
export const sdWatermarkPatterns: readonly SdWatermarkPattern[] = [
  {
    name: "sdxl",
    label: "Stable Diffusion XL",
    payload: "0xB3EC907BB19E",
    bits: bitsOfHex("B3EC907BB19E"),
    // generative-models embeds float BGR; diffusers passed RGB as BGR; imwatermark users embed 8-bit BGR.
    embeddings: ["float-bgr", "float-rgb", "uint8-bgr"],
    minMatch: 34,
  },
  {
    name: "sd2",
    label: "Stable Diffusion 2",
    payload: '"SDV2"',
    bits: bitsOfBytes("SDV2"),
    embeddings: ["uint8-bgr"],
    minMatch: 25,
  },
  {
    name: "sd1",
    label: "Stable Diffusion 1",
    payload: '"StableDiffusionV1"',
    bits: bitsOfBytes("StableDiffusionV1"),
    embeddings: ["uint8-bgr"],
    minMatch: 85,
  },
];

const testCount = sdWatermarkPatterns.reduce((sum, pattern) => sum + pattern.embeddings.length, 0);

/** A finding is decisive when its {@link WatermarkFinding.falsePositiveBound} is at most this. */
export const DECISIVE_WATERMARK_BOUND = 1e-6;

/**
 * Looks for the Stable Diffusion 1 / 2 / XL invisible watermark (imwatermark `dwtDct`) in decoded
 * RGB pixels at their native resolution. Returns the strongest match, or null when none reaches
 * its threshold or the image is under 256×256 pixels of area. Saturated areas (pure white or black)
 * cannot hold the mark, so a product shot on a clipped background may read as unmarked.
 */
export function decodeSdWatermark(pixels: RgbPixels): WatermarkFinding | null {
  const scan = scanDwtDctBlocks(pixels, true);
  if (scan === null) return null;
  let best: WatermarkFinding | null = null;
  for (const pattern of sdWatermarkPatterns) {
    for (const embedding of pattern.embeddings) {
      const maxima = scan.maxima[embedding];
      if (maxima === undefined) continue;
      const votes = tallyDwtDctVotes(maxima, pattern.bits.length);
      const bits = votesToBits(votes.ones, votes.counts);
      let matched = 0;
      for (let i = 0; i < bits.length; i++) if (bits[i] === pattern.bits[i]) matched++;
      if (matched < pattern.minMatch) continue;
      let decodedOnes = 0;
      for (const bit of bits) decodedOnes += bit;
      const patternOnes = pattern.bits.reduce((sum, bit) => sum + bit, 0);
      const chance = Math.max(
        binomialTailHalf(bits.length, matched),
        permutationMatchTail(bits.length, patternOnes, decodedOnes, matched),
      );
      // A lopsided decode must be as unlikely as a decode balanced like the pattern at the threshold.
      if (
        permutationMatchTail(bits.length, patternOnes, decodedOnes, matched) >
        permutationMatchTail(bits.length, patternOnes, patternOnes, pattern.minMatch)
      )
        continue;
      const bound = Math.min(1, chance * testCount);
      if (best !== null && best.falsePositiveBound <= bound) continue;
      best = {
        watermark: pattern.name,
        label: pattern.label,
        payload: pattern.payload,
        embedding,
        bitsMatched: matched,
        bitsTotal: bits.length,
        falsePositiveBound: bound,
        decisive: bound <= DECISIVE_WATERMARK_BOUND,
        decodedBits: Array.from(bits).join(""),
      };
    }
  }
  return best;
}
