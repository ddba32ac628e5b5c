/**
 * The split-half check (training/mirage_train/splithalf.py): the bands are chosen on half of val's
 * images and read on the other half, with each crop's logit clipped before the image's mean as
 * serving does, and a row with too few textured crops never settles a band.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@mirage/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { pythonFor } from "./scripts/python.js";

const python = pythonFor("numpy, sklearn", "the split-half test");
const dir = mkdtempSync(join(tmpdir(), "mirage-splithalf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  image: number;
  variant: string;
  label: number;
  texturedCrops: number;
  cropLogits: number[];
}

interface Reading {
  clip: number | null;
  images: number;
  auroc: number;
  heldOut: { escalation: number; escalationPixelsOnly: number; fprReal: number; missAi: number };
}

/** 60 real and 30 AI images, two variants each; `logits(label, i)` gives an image's 16 crop logits. */
function records(logits: (label: number, i: number) => number[], texturedCrops = 16): Row[] {
  const rows: Row[] = [];
  for (let image = 0; image < 90; image++) {
    const label = image < 60 ? 0 : 1;
    for (const variant of ["pixels-only", "jpeg75"]) {
      rows.push({ image, variant, label, texturedCrops, cropLogits: logits(label, image) });
    }
  }
  return rows;
}

function splitHalf(rows: Row[], ...clips: string[]): Reading[] {
  const file = join(dir, `calibration-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ records: rows }));
  const run = spawnSync(
    python!,
    [
      "-m",
      "mirage_train.splithalf",
      "--calibration",
      file,
      "--splits",
      "50",
      ...clips.flatMap((c) => ["--clip", c]),
    ],
    { cwd: join(repoRoot, "training"), encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`splithalf failed: ${run.stderr}`);
  return run.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Reading);
}

const crops = (value: number, count = 16): number[] => Array.from({ length: count }, () => value);

describe.skipIf(python === undefined)("split-half check", () => {
  it("settles every image when the classes are far apart", () => {
    const [reading] = splitHalf(
      records((label, i) => crops(label === 1 ? 2 + (i % 7) / 10 : -2 - (i % 5) / 10)),
    );
    expect(reading!.images).toBe(90);
    expect(reading!.auroc).toBe(1);
    expect(reading!.heldOut.escalation).toBe(0);
    expect(reading!.heldOut.escalationPixelsOnly).toBe(0);
  });

  it("leaves rows with too few textured crops UNCERTAIN whatever they read", () => {
    const [reading] = splitHalf(records((label) => crops(label === 1 ? 3 : -3, 3), 3));
    expect(reading!.heldOut.escalation).toBe(1);
    expect(reading!.heldOut.fprReal).toBe(0);
  });

  it("keeps one real image's few saturated crops from outweighing the rest when clipped", () => {
    // AI images read +1 everywhere; a third of the real ones carry three crops at +12 among -1s:
    // their plain mean (+1.44) passes the AI images', their mean clipped to ±3 (-0.25) does not.
    const saturated = records((label, i) =>
      label === 1 ? crops(1) : i % 3 === 0 ? [12, 12, 12, ...crops(-1, 13)] : crops(-1),
    );
    const [clipped, plain] = splitHalf(saturated, "3", "none");
    expect(clipped!.clip).toBe(3);
    expect(clipped!.auroc).toBe(1);
    expect(clipped!.heldOut.escalation).toBe(0);
    expect(plain!.clip).toBeNull();
    expect(plain!.auroc).toBeLessThan(1);
    expect(plain!.heldOut.escalation).toBeGreaterThan(0.3);
  });
});
