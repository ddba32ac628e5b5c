/**
 * The watermark prescreen: from the votes of a sample of block rows, could the full decode still
 * reach a pattern's threshold? The decoder scores every 8×8 block; on most unmarked photos a
 * quarter of the rows already shows that it cannot, and the rest is skipped.
 *
 * Two questions per (pattern, colour path) test; either sends the image on to more rows:
 *
 * 1. Reach: P(full decode matches ≥ minMatch bits | sampled votes). Bit i's full decision is
 *    `(sampledOnes + restOnes)·255 > 127·N` over its N blocks. Its unscored blocks are treated as
 *    further draws at the bit's own unknown vote rate: with a uniform prior the rate's posterior
 *    is Beta(ones + 1, n − ones + 1), so restOnes is beta-binomial, taken as normal with the
 *    beta-binomial's exact mean and variance. Bits are independent given the sample (disjoint
 *    blocks), so the match count is Poisson-binomial, summed exactly. Ignoring the decoder's
 *    lopsided-decode rule only makes this larger. Bits with fewer than
 *    {@link PRESCREEN_MIN_BIT_VOTES} sampled votes count as matching for sure.
 * 2. Contrast: do the sampled blocks of the pattern's 1-bits vote 1 more often than those of its
 *    0-bits? The z-score of that difference under the permutation null (which keeps the sample's
 *    balance of 0s and 1s) catches a real mark even where the reach estimate would lean on the
 *    sampled rows being representative of the rest.
 */
import { normalUpperTail, poissonBinomialTail } from "./binomial.js";
import type { DwtDctVotes } from "./dwt-dct-votes.js";

/** Rows are scored in PRESCREEN_ROW_STEP interleaved sets: block rows with bi % 4 = phase. */
export const PRESCREEN_ROW_STEP = 4;
/** The order of the sets: after two of them the sample is every other row. */
export const PRESCREEN_PHASES: readonly number[] = [0, 2, 1, 3];
/** A test is ruled out only when its reach is at most this. */
export const PRESCREEN_MAX_REACH = 1e-6;
/** A test whose sampled contrast reaches this z-score is never ruled out. */
export const PRESCREEN_CONTRAST_Z = 4;
/** Below this many sampled votes a bit is too uncertain to rule out: it counts as a match. */
export const PRESCREEN_MIN_BIT_VOTES = 8;

/** What the sample says about one (pattern, colour path) test. */
export interface PrescreenTest {
  /** P(the full decode matches at least minMatch bits | the sampled votes). */
  reach: number;
  /** z-score of the sampled vote contrast between the pattern's 1-bits and 0-bits. */
  contrastZ: number;
}

/** True when the sample rules the test out: its threshold out of reach and no contrast. */
export function isRuledOut(test: PrescreenTest): boolean {
  return test.reach <= PRESCREEN_MAX_REACH && test.contrastZ < PRESCREEN_CONTRAST_Z;
}

/** Blocks per bit in the full decode: block `num` votes for bit `num % length`. */
export function blocksPerBit(blocks: number, length: number): Uint32Array {
  const counts = new Uint32Array(length);
  const base = Math.floor(blocks / length);
  const extra = blocks % length;
  for (let bit = 0; bit < length; bit++) counts[bit] = base + (bit < extra ? 1 : 0);
  return counts;
}

/**
 * P(the full decode sets bit i to 1) given `ones` of `sampled` scored votes, with `total` blocks
 * voting for the bit in all (see the module comment for the model); undefined when the sample is
 * too small to say and the outcome is still open.
 */
export function fullBitOneProbability(ones: number, sampled: number, total: number): number | undefined {
  const rest = total - sampled;
  // The full bit is 1 when (ones + restOnes)·255 > 127·total, i.e. restOnes ≥ need.
  const need = Math.floor((127 * total - 255 * ones) / 255) + 1;
  if (need <= 0) return 1;
  if (need > rest) return 0;
  if (sampled < PRESCREEN_MIN_BIT_VOTES) return undefined;
  const rate = (ones + 1) / (sampled + 2);
  const mean = rest * rate;
  // Beta-binomial variance: the binomial's, widened by the rate's own uncertainty.
  const variance = (rest * rate * (1 - rate) * (sampled + 2 + rest)) / (sampled + 3);
  return normalUpperTail((need - 0.5 - mean) / Math.sqrt(variance));
}

/** Reach and contrast of one test from its sampled votes (see the module comment). */
export function prescreenTest(
  sampled: DwtDctVotes,
  fullCounts: Uint32Array,
  bits: readonly number[],
  minMatch: number,
): PrescreenTest {
  const matchProbabilities = new Float64Array(bits.length);
  let onesOnOnes = 0;
  let votesOnOnes = 0;
  let ones = 0;
  let votes = 0;
  for (let i = 0; i < bits.length; i++) {
    const bitOnes = sampled.ones[i]!;
    const bitVotes = sampled.counts[i]!;
    const one = fullBitOneProbability(bitOnes, bitVotes, fullCounts[i]!);
    matchProbabilities[i] = one === undefined ? 1 : bits[i] ? one : 1 - one;
    ones += bitOnes;
    votes += bitVotes;
    if (bits[i]) {
      onesOnOnes += bitOnes;
      votesOnOnes += bitVotes;
    }
  }
  return {
    reach: poissonBinomialTail(matchProbabilities, minMatch),
    contrastZ: permutationContrastZ(onesOnOnes, votesOnOnes, ones, votes),
  };
}

/**
 * z-score of the 1-votes that fall on the pattern's 1-bits, against the hypergeometric null that
 * scatters the sample's `ones` 1-votes at random over its `votes` blocks. 0 when undefined.
 */
function permutationContrastZ(onesOnOnes: number, votesOnOnes: number, ones: number, votes: number): number {
  if (votes < 2) return 0;
  const expected = (ones * votesOnOnes) / votes;
  const variance =
    (ones * (votes - ones) * votesOnOnes * (votes - votesOnOnes)) / (votes * votes * (votes - 1));
  return variance > 0 ? (onesOnOnes - expected) / Math.sqrt(variance) : 0;
}
