import { describe, expect, it } from "vitest";
import type { DwtDctVotes } from "./dwt-dct-votes.js";
import {
  PRESCREEN_CONTRAST_Z,
  PRESCREEN_MAX_REACH,
  PRESCREEN_MIN_BIT_VOTES,
  blocksPerBit,
  fullBitOneProbability,
  isRuledOut,
  prescreenTest,
} from "./watermark-prescreen.js";

/** SDXL's 48 bits (0xB3EC907BB19E): 27 ones, 21 zeros. */
const sdxl = Array.from("101100111110110010010000011110111011000110011110", Number);

/** Sampled votes: `perBit` per bit, of which the given share voted 1 (by the pattern's bit). */
function votes(perBit: number, shareOnOnes: number, shareOnZeros: number): DwtDctVotes {
  const ones = Uint32Array.from(sdxl, (bit) => Math.round(perBit * (bit ? shareOnOnes : shareOnZeros)));
  return { ones, counts: new Uint32Array(sdxl.length).fill(perBit) };
}

describe("blocksPerBit", () => {
  it("splits the blocks as `num % length` does", () => {
    const counts = blocksPerBit(100, 48);
    expect(counts[0]).toBe(3);
    expect(counts[3]).toBe(3);
    expect(counts[4]).toBe(2);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(100);
  });
});

describe("fullBitOneProbability", () => {
  it("is certain when the unscored blocks cannot change the bit", () => {
    // 200 of 400 blocks scored, 200 ones: 200·255 > 127·400 already.
    expect(fullBitOneProbability(200, 200, 400)).toBe(1);
    // 0 ones in 300 of 400 scored: even 100 more ones stay under 127/255.
    expect(fullBitOneProbability(0, 300, 400)).toBe(0);
    // A thin sample still settles a bit that is already decided: 5 of 8 ones is over the line.
    expect(fullBitOneProbability(5, 6, 8)).toBe(1);
  });

  it("says nothing from fewer than the minimum sampled votes while the bit is open", () => {
    expect(fullBitOneProbability(2, PRESCREEN_MIN_BIT_VOTES - 1, 40)).toBeUndefined();
  });

  it("is near ½ for a sample at the decision line, and rises with the sampled ones", () => {
    const atLine = fullBitOneProbability(80, 160, 640)!;
    expect(atLine).toBeGreaterThan(0.3);
    expect(atLine).toBeLessThan(0.7);
    const probabilities = [40, 60, 80, 100, 120].map((ones) => fullBitOneProbability(ones, 160, 640)!);
    for (let i = 1; i < probabilities.length; i++)
      expect(probabilities[i]).toBeGreaterThan(probabilities[i - 1]!);
    expect(probabilities[0]).toBeLessThan(1e-6);
  });
});

describe("prescreenTest", () => {
  it("keeps a marked sample: the threshold within reach and a large contrast", () => {
    const test = prescreenTest(votes(160, 0.8, 0.2), blocksPerBit(48 * 640, 48), sdxl, 34);
    expect(test.reach).toBeGreaterThan(0.999);
    expect(test.contrastZ).toBeGreaterThan(20);
    expect(isRuledOut(test)).toBe(false);
  });

  it("rules out a lopsided unmarked sample: every bit decodes 0, 21 matches at most", () => {
    const test = prescreenTest(votes(160, 0.3, 0.3), blocksPerBit(48 * 640, 48), sdxl, 34);
    expect(test.reach).toBeLessThan(PRESCREEN_MAX_REACH);
    expect(Math.abs(test.contrastZ)).toBeLessThan(1);
    expect(isRuledOut(test)).toBe(true);
  });

  it("keeps a balanced unmarked sample: its full decode is a coin toss per bit", () => {
    const test = prescreenTest(votes(160, 0.5, 0.5), blocksPerBit(48 * 640, 48), sdxl, 34);
    expect(test.reach).toBeGreaterThan(PRESCREEN_MAX_REACH);
    expect(isRuledOut(test)).toBe(false);
  });

  it("keeps a sample too thin to judge", () => {
    const test = prescreenTest(votes(4, 0.3, 0.3), blocksPerBit(48 * 16, 48), sdxl, 34);
    expect(test.reach).toBe(1);
  });

  it("keeps a sample with contrast even where the reach is out of range", () => {
    // A mark under a strong bias to 0: every bit still decodes 0, but 1-bits vote 1 more often.
    const test = prescreenTest(votes(160, 0.2, 0.1), blocksPerBit(48 * 640, 48), sdxl, 34);
    expect(test.reach).toBeLessThan(PRESCREEN_MAX_REACH);
    expect(test.contrastZ).toBeGreaterThan(PRESCREEN_CONTRAST_Z);
    expect(isRuledOut(test)).toBe(false);
  });
});
