import { describe, expect, it } from "vitest";
import type { DwtDctEmbedding, DwtDctVotes } from "./dwt-dct-votes.js";
import {
  addDwtDctRowVotes,
  createDwtDctScan,
  scanDwtDctBlocks,
  scoreDwtDctRows,
  tallyDwtDctVotes,
} from "./dwt-dct-votes.js";
import { syntheticImage } from "./synthetic-image.js";

const embeddings: DwtDctEmbedding[] = ["uint8-bgr", "float-bgr", "float-rgb"];
const image = syntheticImage(523, 397, 5);

describe("scoring block rows in interleaved sets", () => {
  it("gives every block the value of one full pass, at its true index", () => {
    const whole = scanDwtDctBlocks(image)!;
    const parts = createDwtDctScan(image)!;
    for (const first of [0, 2, 1, 3]) scoreDwtDctRows(image, parts, first, 4);
    for (const embedding of embeddings)
      expect(parts.maxima[embedding], embedding).toEqual(whole.maxima[embedding]);
  });

  it("leaves the colour paths it was not asked for unscored", () => {
    const scan = createDwtDctScan(image)!;
    scoreDwtDctRows(image, scan, 0, 1, { integer: true, float: false });
    expect(scan.maxima["uint8-bgr"]!.some((value) => value > 0)).toBe(true);
    expect(scan.maxima["float-bgr"]!.every((value) => value === 0)).toBe(true);
    scoreDwtDctRows(image, scan, 0, 1, { integer: false, float: true });
    expect(scan.maxima).toEqual(scanDwtDctBlocks(image)!.maxima);
  });

  it("row votes, added up over every set, are the full tally; one set is its own rows only", () => {
    const scan = scanDwtDctBlocks(image)!;
    const maxima = scan.maxima["uint8-bgr"]!;
    for (const length of [48, 32, 136]) {
      const votes: DwtDctVotes = { ones: new Uint32Array(length), counts: new Uint32Array(length) };
      for (const first of [0, 1, 2, 3]) addDwtDctRowVotes(votes, maxima, scan, first, 4);
      expect(votes, String(length)).toEqual(tallyDwtDctVotes(maxima, length));
    }
    const quarter: DwtDctVotes = { ones: new Uint32Array(48), counts: new Uint32Array(48) };
    addDwtDctRowVotes(quarter, maxima, scan, 0, 4);
    const rows = Math.ceil(scan.blockRows / 4);
    expect(quarter.counts.reduce((sum, count) => sum + count, 0)).toBe(rows * scan.blockCols);
  });
});
