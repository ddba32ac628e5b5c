import { ReasoningStage } from "@mirage/contracts";
import { throwIfAborted } from "./abort.js";
import { readConsistency, type Consistency } from "./consistency.js";
import type { Examination } from "./examination.js";
import { denseGrid, positionsOf, type Grid, type Position } from "./grid.js";
import { logOdds } from "./stats.js";
import { p2, plural } from "./text.js";
import { scoreViews, texturedPositions, type ViewScore } from "./views.js";

/** What the first look found: the dense grid of original crops. */
export interface FirstLook {
  grid: Grid;
  /** The grid's positions with texture to read (the examination's crops from here on). */
  positions: Position[];
  view: ViewScore;
  consistency: Consistency;
  /** Log-odds of the view's mean logit in the pixel model's calibration. */
  logOdds: number;
  /** Time it took, ms: the unit the time budget extrapolates from. */
  ms: number;
}

/**
 * The first analytic step: the pixel model over a dense grid of native-resolution crops of the
 * original pixels — many more than triage's few — and where the image looks generated.
 */
export async function firstLook(exam: Examination): Promise<FirstLook> {
  const started = performance.now();
  const { model, image, trace, signal } = exam;
  const size = model.card.input.cropSize;
  const grid = denseGrid(image.width, image.height, size, exam.budget.denseCrops);
  const all = positionsOf(grid);
  const textured = texturedPositions(model, image, all);
  // Triage read this image, so its own crops hold texture even when the denser grid missed it.
  const positions =
    textured.length > 0 ? textured : (exam.detection.pixel?.crops.map(({ x, y }) => ({ x, y })) ?? all);
  const flat = all.length - textured.length;
  throwIfAborted(signal, "the first look");
  const [view] = await scoreViews(model, [{ name: "original", image, positions, mirror: false }], signal);
  const consistency = readConsistency(
    positions,
    view!.logits.map((l) => model.calibrateCrop(l)),
    size,
    image,
  );
  trace.add(
    ReasoningStage.ANALYTIC,
    `First look: the pixel model over ${plural(positions.length, "crop")} of ${size} px at native resolution (grid ${grid.xs.length} × ${grid.ys.length}${flat > 0 ? `, ${plural(flat, "flat crop")} of backdrop not read` : ""}) reads ${p2(view!.pAi)}. ${consistency.text}`,
  );
  return {
    grid,
    positions,
    view: view!,
    consistency,
    logOdds: logOdds(view!.pAi),
    ms: performance.now() - started,
  };
}
