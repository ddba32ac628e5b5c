import { join } from "node:path";
import { MirageError } from "@mirage/errors";
import { cropGrid, extractCrop, type Crop, type DecodedImage } from "@mirage/imaging";
import * as ort from "onnxruntime-node";
import { readModelCard, type ModelCard } from "./model-card.js";

/** Options of {@link loadPixelModel}. */
export interface PixelModelOptions {
  /** onnxruntime intra-op threads per inference. Default 1: parallelism comes from running images side by side. */
  intraOpThreads?: number;
  /**
   * Micro-batching: crops of concurrent calls wait up to `maxWaitMs` to share one inference of at
   * most `maxCrops` crops. Off by default (a lone caller gains nothing from waiting).
   */
  batch?: { maxCrops: number; maxWaitMs: number };
}

/** The scores of one image's crops. */
export interface PixelScore {
  /** Per-crop logits (AI positive, uncalibrated), in crop order. */
  logits: number[];
  /** Where each crop sits (top-left corner) and its size. */
  crops: Array<{ x: number; y: number; size: number }>;
  /** The aggregated logit (mean over crops). */
  logit: number;
  /** Calibrated probability that the image is AI-generated. */
  pAi: number;
  /** Time spent copying the crops out of the image, and in inference (with its tensor), in ms. */
  cropMs: number;
  inferMs: number;
}

/** A loaded pixel model: the ONNX session and its card. */
export interface PixelModel {
  readonly card: ModelCard;
  /** "<name>-<version>", e.g. "triage-v1". */
  readonly version: string;
  /** Scores the card's grid of crops of an image (or `count` crops, for deeper looks). */
  scoreImage(image: DecodedImage, count?: number): Promise<PixelScore>;
  /** Scores given crops (all of the card's crop size); returns their logits. */
  scoreCrops(crops: Crop[]): Promise<number[]>;
  /** Turns an aggregated logit into a calibrated pAi. */
  calibrate(logit: number): number;
  close(): Promise<void>;
}

/** Loads the model of a card directory (models/<name>/<version>). */
export async function loadPixelModel(dir: string, options: PixelModelOptions = {}): Promise<PixelModel> {
  const card = await readModelCard(dir);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(join(dir, card.file), {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
    });
  } catch (cause) {
    throw new MirageError("FAILED_PRECONDITION", `cannot load ONNX model ${join(dir, card.file)}`, {
      reason: "model-load-failed",
      cause,
    });
  }
  const size = card.input.cropSize;
  const { mean, std } = card.input.normalize;

  const calibrate = (logit: number): number => sigmoid(card.calibration.a * logit + card.calibration.b);

  async function infer(crops: Crop[]): Promise<number[]> {
    if (crops.length === 0) return [];
    const plane = size * size;
    const tensor = new Float32Array(crops.length * 3 * plane);
    crops.forEach((crop, n) => {
      if (crop.size !== size) throw new RangeError(`crop of ${crop.size} px, the model takes ${size} px`);
      const base = n * 3 * plane;
      const data = crop.data;
      for (let i = 0; i < plane; i++) {
        tensor[base + i] = (data[i * 3]! - mean) / std;
        tensor[base + plane + i] = (data[i * 3 + 1]! - mean) / std;
        tensor[base + 2 * plane + i] = (data[i * 3 + 2]! - mean) / std;
      }
    });
    const feeds = { [card.input.name]: new ort.Tensor("float32", tensor, [crops.length, 3, size, size]) };
    const out = await session.run(feeds);
    const logits = out[card.output.name];
    if (!logits)
      throw new MirageError("INTERNAL", `model has no output ${card.output.name}`, {
        reason: "model-output-missing",
      });
    return Array.from(logits.data as Float32Array);
  }

  const scoreCrops = options.batch ? createMicroBatcher(infer, options.batch) : infer;

  return {
    card,
    version: `${card.name}-${card.version}`,
    calibrate,
    scoreCrops,
    async scoreImage(image, count = card.crops.count) {
      const t0 = performance.now();
      const positions = cropGrid(image.width, image.height, size, count);
      const crops = positions.map(({ x, y }) => extractCrop(image, x, y, size));
      const t1 = performance.now();
      const logits = await scoreCrops(crops);
      const logit = logits.reduce((a, b) => a + b, 0) / logits.length;
      return {
        logits,
        crops: crops.map(({ x, y }) => ({ x, y, size })),
        logit,
        pAi: calibrate(logit),
        cropMs: t1 - t0,
        inferMs: performance.now() - t1,
      };
    },
    close: () => session.release(),
  };
}

/**
 * Gathers the crops of concurrent calls into shared inferences: the first waiting call starts a
 * timer of `maxWaitMs`; the batch runs when it fills to `maxCrops` or the timer fires. Inference
 * runs one batch at a time (the session is single-threaded by design).
 */
export function createMicroBatcher(
  infer: (crops: Crop[]) => Promise<number[]>,
  options: { maxCrops: number; maxWaitMs: number },
): (crops: Crop[]) => Promise<number[]> {
  type Waiting = { crops: Crop[]; resolve: (logits: number[]) => void; reject: (error: unknown) => void };
  let queue: Waiting[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = queue;
    queue = [];
    queued = 0;
    if (batch.length === 0) return;
    running = running.then(async () => {
      try {
        const logits = await infer(batch.flatMap((w) => w.crops));
        let offset = 0;
        for (const w of batch) {
          w.resolve(logits.slice(offset, offset + w.crops.length));
          offset += w.crops.length;
        }
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    });
  };

  return (crops) =>
    new Promise<number[]>((resolve, reject) => {
      if (crops.length === 0) return resolve([]);
      queue.push({ crops, resolve, reject });
      queued += crops.length;
      if (queued >= options.maxCrops) flush();
      else timer ??= setTimeout(flush, options.maxWaitMs);
    });
}

/** The logistic function. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
