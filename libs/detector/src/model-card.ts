import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MirageError } from "@mirage/errors";
import { z } from "zod";

/**
 * The part of a model card (models/<name>/<version>/model.json) that serving reads. The card holds
 * more (training manifest, evaluation); serving needs only how to feed the model and read it.
 */
export const modelCardSchema = z.object({
  name: z.string(),
  version: z.string(),
  file: z.string(),
  input: z.object({
    name: z.string(),
    dtype: z.literal("float32"),
    layout: z.literal("NCHW"),
    channels: z.literal("RGB"),
    cropSize: z.number().int().positive(),
    normalize: z.object({ mean: z.number(), std: z.number().positive() }),
  }),
  output: z.object({ name: z.string() }),
  /**
   * How crop logits become the image's: the mean of every crop (cards before v8), or the mean of
   * the textured crops, a crop whose luminance residual RMS is under `flatResidualRms` grey levels
   * being flat and carrying no evidence (an image with none is not read). An image with fewer than
   * `minTexturedForBand` textured crops is read but settles no band: the calibration was fit on
   * images showing the model most of their crops (cards before v10 lack it: 1, any reading).
   * Each crop's logit is clipped to ±`logitClip` before the mean, so that one saturated crop does
   * not outweigh the rest (cards before v11 lack it: no clip).
   */
  crops: z.discriminatedUnion("aggregation", [
    z.object({ count: z.number().int().positive(), aggregation: z.literal("mean-logit") }),
    z.object({
      count: z.number().int().positive(),
      aggregation: z.literal("mean-logit-textured"),
      flatResidualRms: z.number().nonnegative(),
      minTexturedForBand: z.number().int().positive().default(1),
      logitClip: z.number().positive().optional(),
    }),
  ]),
  calibration: z.object({ method: z.enum(["platt", "temperature"]), a: z.number(), b: z.number() }),
  /** Platt scaling of one crop's logit (noisier than the image's mean); cards before v3 lack it. */
  cropCalibration: z.object({ a: z.number(), b: z.number() }).optional(),
  thresholds: z.object({
    likelyAi: z.number().min(0).max(1),
    likelyReal: z.number().min(0).max(1),
    strictLikelyReal: z.number().min(0).max(1),
  }),
});

/** What serving reads of a model card. */
export type ModelCard = z.infer<typeof modelCardSchema>;

/** Reads and validates `<dir>/model.json`. */
export async function readModelCard(dir: string): Promise<ModelCard> {
  const path = join(dir, "model.json");
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (cause) {
    throw new MirageError("FAILED_PRECONDITION", `no model card at ${path}`, {
      reason: "model-missing",
      cause,
    });
  }
  const parsed = modelCardSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    throw new MirageError("FAILED_PRECONDITION", `model card ${path} is invalid: ${parsed.error.message}`, {
      reason: "model-card-invalid",
      cause: parsed.error,
    });
  }
  return parsed.data;
}
