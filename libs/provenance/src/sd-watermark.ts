import { binomialTailHalf, permutationMatchTail } from "./internal/binomial.js";
import type {
  DwtDctEmbedding,
  DwtDctPaths,
  DwtDctScan,
  DwtDctVotes,
  RgbPixels,
} from "./internal/dwt-dct-votes.js";
import {
  addDwtDctRowVotes,
  createDwtDctScan,
  scanDwtDctBlocks,
  scoreDwtDctRows,
  tallyDwtDctVotes,
  votesToBits,
} from "./internal/dwt-dct-votes.js";
import {
  PRESCREEN_PHASES,
  PRESCREEN_ROW_STEP,
  blocksPerBit,
  isRuledOut,
  prescreenTest,
} from "./internal/watermark-prescreen.js";

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

/** A finding is decisive when its {@link WatermarkFinding.falsePositiveBound} is at most this. */
export const DECISIVE_WATERMARK_BOUND = 1e-6;

/** One (pattern, colour path) test: the five the decoder runs. */
interface WatermarkTest {
  pattern: SdWatermarkPattern;
  embedding: DwtDctEmbedding;
}

const watermarkTests: readonly WatermarkTest[] = sdWatermarkPatterns.flatMap((pattern) =>
  pattern.embeddings.map((embedding) => ({ pattern, embedding })),
);

/** The union bound of a finding counts every test the decoder runs. */
const testCount = watermarkTests.length;

/** How {@link inspectSdWatermark} reached its answer. */
export interface SdWatermarkInspection {
  finding: WatermarkFinding | null;
  /**
   * `prescreen`: sampled block rows ruled every test out, the rest was skipped (finding null);
   * `full`: every block was scored and decoded exactly as the reference does; `too-small`: under
   * 256×256 pixels of area, nothing scored (finding null).
   */
  path: "prescreen" | "full" | "too-small";
  /** Fraction of the block rows scored: 0.25, 0.5 or 0.75 on the prescreen path, 1 on the full. */
  rowsScored: number;
  /** At the last look at the sample: the largest, over all tests, P(full decode reaches the threshold). */
  reach: number;
  /** At the last look at the sample: the largest sampled contrast z over all tests. */
  contrastZ: number;
}

/**
 * Looks for the Stable Diffusion 1 / 2 / XL invisible watermark (imwatermark `dwtDct`) in decoded
 * RGB pixels at their native resolution. Returns the strongest match, or null when none reaches
 * its threshold or the image is under 256×256 pixels of area. Saturated areas (pure white or black)
 * cannot hold the mark, so a product shot on a clipped background may read as unmarked.
 * Most unmarked images are settled from a quarter of the blocks; otherwise the answer is the full
 * decode's (see {@link inspectSdWatermark}).
 */
export function decodeSdWatermark(pixels: RgbPixels): WatermarkFinding | null {
  return inspectSdWatermark(pixels).finding;
}

/**
 * {@link decodeSdWatermark}, saying which path it took. Scores block rows a quarter at a time
 * (every fourth row, then the rows between, …) and, after each of the first three quarters, asks
 * the prescreen (internal/watermark-prescreen.ts) about each (pattern, colour path) test still
 * open: it is ruled out when, given the votes so far, the chance that the full decode reaches
 * its threshold is at most 1e-6 and the sampled contrast stays under z = 4. A colour path is
 * scored only while one of its tests is open. When every test is ruled out, returns null;
 * otherwise, once every row is scored, decodes the open tests exactly as the reference does.
 */
export function inspectSdWatermark(pixels: RgbPixels): SdWatermarkInspection {
  const scan = createDwtDctScan(pixels, true);
  if (scan === null) return { finding: null, path: "too-small", rowsScored: 0, reach: 0, contrastZ: 0 };
  const open = watermarkTests.map((test) => ({
    ...test,
    votes: {
      ones: new Uint32Array(test.pattern.bits.length),
      counts: new Uint32Array(test.pattern.bits.length),
    } satisfies DwtDctVotes,
    fullCounts: blocksPerBit(scan.blocks, test.pattern.bits.length),
    last: { reach: 1, contrastZ: 0 },
  }));
  let live = open;
  const summary = () => ({
    reach: Math.max(...open.map((test) => test.last.reach)),
    contrastZ: Math.max(...open.map((test) => test.last.contrastZ)),
  });
  for (let stage = 0; stage < PRESCREEN_PHASES.length - 1; stage++) {
    const phase = PRESCREEN_PHASES[stage]!;
    scoreDwtDctRows(pixels, scan, phase, PRESCREEN_ROW_STEP, pathsOf(live));
    for (const test of live) {
      addDwtDctRowVotes(test.votes, scan.maxima[test.embedding]!, scan, phase, PRESCREEN_ROW_STEP);
      test.last = prescreenTest(test.votes, test.fullCounts, test.pattern.bits, test.pattern.minMatch);
    }
    // A ruled-out test stays out: the chance that it would still have matched is at most the bound.
    live = live.filter((test) => !isRuledOut(test.last));
    if (live.length === 0) {
      return { finding: null, path: "prescreen", rowsScored: (stage + 1) / PRESCREEN_ROW_STEP, ...summary() };
    }
  }
  scoreDwtDctRows(pixels, scan, PRESCREEN_PHASES.at(-1)!, PRESCREEN_ROW_STEP, pathsOf(live));
  return { finding: strongestFinding(scan, live), path: "full", rowsScored: 1, ...summary() };
}

/** The colour paths the given tests read. */
function pathsOf(tests: readonly WatermarkTest[]): DwtDctPaths {
  return {
    integer: tests.some((test) => test.embedding === "uint8-bgr"),
    float: tests.some((test) => test.embedding !== "uint8-bgr"),
  };
}

/**
 * The reference's answer from every block, with no prescreen: what {@link decodeSdWatermark} must
 * return whenever a mark is plausible. For tests and benchmarks.
 */
export function decodeSdWatermarkFully(pixels: RgbPixels): WatermarkFinding | null {
  const scan = scanDwtDctBlocks(pixels, true);
  return scan === null ? null : strongestFinding(scan, watermarkTests);
}

/** The best match among `tests`, whose colour paths `scan` holds for every block. */
function strongestFinding(scan: DwtDctScan, tests: readonly WatermarkTest[]): WatermarkFinding | null {
  let best: WatermarkFinding | null = null;
  for (const { pattern, embedding } of tests) {
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
  return best;
}
