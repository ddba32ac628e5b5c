/**
 * How much each training crop weighs (training/mirage_train/weights.py, config.source_weight_power):
 * the classes weigh half each whatever their size, and within a class a crop weighs
 * count(its source)^-power — so power 0 is v6's "every crop alike" and 1 is "every source alike".
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@mirage/test-support";
import { describe, expect, it } from "vitest";
import { pythonFor } from "./scripts/python.js";

const python = pythonFor("numpy", "the source-weight test");

// 3 real crops of source a and 1 of b; 4 AI crops of source c, 2 of d (10 crops in all).
const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
const sources = ["a", "a", "a", "b", "c", "c", "c", "c", "d", "d"];

function sourceWeights(power: number): number[] {
  const script = [
    "import json, sys",
    "import numpy as np",
    "from mirage_train.weights import source_weights",
    "args = json.loads(sys.argv[1])",
    "w = source_weights(np.array(args['labels']), np.array(args['sources']), args['power'])",
    "print(json.dumps(w.tolist()))",
  ].join("\n");
  const run = spawnSync(python!, ["-c", script, JSON.stringify({ labels, sources, power })], {
    cwd: join(repoRoot, "training"),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`source_weights failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as number[];
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const of = (w: number[], pick: (i: number) => boolean): number[] => w.filter((_, i) => pick(i));

describe.skipIf(python === undefined)("source_weights", () => {
  it.each([0, 0.5, 1])("gives each class half the total weight, mean weight 1 (power %s)", (power) => {
    const w = sourceWeights(power);
    expect(sum(w)).toBeCloseTo(labels.length, 9);
    expect(sum(of(w, (i) => labels[i] === 0))).toBeCloseTo(labels.length / 2, 9);
    expect(sum(of(w, (i) => labels[i] === 1))).toBeCloseTo(labels.length / 2, 9);
  });

  it("weighs crops alike within a class at power 0", () => {
    const w = sourceWeights(0);
    expect(w[0]).toBeCloseTo(w[3]!, 9);
    expect(w[4]).toBeCloseTo(w[8]!, 9);
    expect(w[0]).not.toBeCloseTo(w[4]!, 3); // 4 real and 6 AI crops: the classes still weigh half each
  });

  it("weighs a crop count(its source)^-power within its class", () => {
    const w = sourceWeights(0.5);
    expect(w[3]! / w[0]!).toBeCloseTo(Math.sqrt(3), 9); // b has 1 crop, a has 3
    expect(w[8]! / w[4]!).toBeCloseTo(Math.sqrt(2), 9); // d has 2, c has 4
  });

  it("weighs a class's sources alike at power 1", () => {
    const w = sourceWeights(1);
    expect(sum(of(w, (i) => sources[i] === "a"))).toBeCloseTo(sum(of(w, (i) => sources[i] === "b")), 9);
    expect(sum(of(w, (i) => sources[i] === "c"))).toBeCloseTo(sum(of(w, (i) => sources[i] === "d")), 9);
  });
});
