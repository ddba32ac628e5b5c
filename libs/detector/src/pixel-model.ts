import { join } from "node:path";
import { MirageError } from "@mirage/errors";
import { cropGrid, extractCrop, hasTexture, type Crop, type DecodedImage } from "@mirage/imaging";
import * as ort from "onnxruntime-node";
import {
  createProviderSession,
  type ExecutionProviderName,
  type SessionFactory,
  type SkippedExecutionProvider,
} from "./execution-providers.js";
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
  /**
   * onnxruntime execution providers in order of preference, e.g. ["cuda", "cpu"]. Default ["cpu"].
   * A provider that cannot be loaded is skipped only when another follows it (see `skippedExecutionProviders`);
   * the last one must load, else loading fails with FAILED_PRECONDITION `execution-provider-unavailable`.
   */
  executionProviders?: readonly ExecutionProviderName[];
  /** GPU ordinal for cuda and tensorrt. Default 0. */
  gpuDeviceId?: number;
  /** Told of every inference (one per batch when micro-batching): e.g. to observe batch sizes. */
  onInference?: (inference: InferenceRecord) => void;
  /** Creates the onnxruntime session; default `InferenceSession.create` (tests pass a fake). */
  createSession?: SessionFactory;
}

/** One inference of the pixel model. */
export interface InferenceRecord {
  /** Crops in the tensor. */
  crops: number;
  /** scoreCrops calls it served (more than one when micro-batching merged concurrent calls). */
  calls: number;
  /** Tensor filling and onnxruntime's run, in ms. */
  ms: number;
}

/** The scores of one image's crops. */
export interface PixelScore {
  /** Per-crop logits (AI positive, uncalibrated) of the crops read, in crop order. */
  logits: number[];
  /** Where each crop read sits (top-left corner) and its size. */
  crops: Array<{ x: number; y: number; size: number }>;
  /** Crops of the grid left unread because they are flat (see {@link PixelModel.isTextured}). */
  flatCrops: number;
  /** The aggregated logit over the crops read ({@link PixelModel.aggregate}). */
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
  /** "<name>-<version>", e.g. "triage-v11". */
  readonly version: string;
  /** The execution providers the session runs on, in priority order: the first takes every operator it supports. */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** Providers asked for but skipped because they could not be loaded, and why; empty when the first choice loaded. */
  readonly skippedExecutionProviders: readonly SkippedExecutionProvider[];
  /** Why this image cannot be read (see {@link whyPixelsUnreadable}), or null when it can. */
  whyUnreadable(image: { width: number; height: number }): string | null;
  /**
   * Whether a crop has texture for the model to read. Under a `mean-logit-textured` card a crop
   * whose luminance residual RMS is under `flatResidualRms` is flat: a clipped or smooth backdrop
   * carries no forensic trace, and what the model reads there is the backdrop's level, a shortcut
   * of its training data. Always true under a `mean-logit` card.
   */
  isTextured(crop: Crop): boolean;
  /**
   * Scores the textured crops of the card's grid on an image (or of `count` crops, for deeper
   * looks). Throws INVALID_ARGUMENT `image-smaller-than-crop` for an image
   * {@link PixelModel.whyUnreadable} refuses, and `image-without-texture` when every crop is flat.
   */
  scoreImage(image: DecodedImage, count?: number): Promise<PixelScore>;
  /** Scores given crops (all of the card's crop size); returns their logits. */
  scoreCrops(crops: Crop[]): Promise<number[]>;
  /**
   * The image's logit from its crops' logits, as the card's calibration was fit: the mean, each
   * crop clipped to ±`crops.logitClip` first where the card sets it.
   */
  aggregate(logits: readonly number[]): number;
  /** Turns an aggregated logit into a calibrated pAi. */
  calibrate(logit: number): number;
  /** Turns one crop's logit into a pAi calibrated for a crop read alone (the card's cropCalibration, else calibrate). */
  calibrateCrop(logit: number): number;
  close(): Promise<void>;
}

/** Loads the model of a card directory (models/<name>/<version>). */
export async function loadPixelModel(dir: string, options: PixelModelOptions = {}): Promise<PixelModel> {
  const card = await readModelCard(dir);
  const { session, active, skipped } = await createProviderSession(join(dir, card.file), {
    providers: options.executionProviders ?? ["cpu"],
    ...(options.gpuDeviceId === undefined ? {} : { gpuDeviceId: options.gpuDeviceId }),
    ...(options.createSession ? { create: options.createSession } : {}),
    sessionOptions: {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      executionMode: "sequential",
    },
  });
  const size = card.input.cropSize;
  const { mean, std } = card.input.normalize;

  const platt =
    ({ a, b }: { a: number; b: number }) =>
    (logit: number): number =>
      sigmoid(a * logit + b);
  const calibrate = platt(card.calibration);
  const flatBelow = card.crops.aggregation === "mean-logit-textured" ? card.crops.flatResidualRms : undefined;
  const isTextured = (crop: Crop) => flatBelow === undefined || hasTexture(crop, flatBelow);
  const calibrateCrop = platt(card.cropCalibration ?? card.calibration);
  const clip = (card.crops.aggregation === "mean-logit-textured" && card.crops.logitClip) || Infinity;
  const aggregate = (logits: readonly number[]) =>
    logits.reduce((sum, l) => sum + Math.max(-clip, Math.min(clip, l)), 0) / logits.length;

  async function infer(crops: Crop[], calls: number): Promise<number[]> {
    if (crops.length === 0) return [];
    const started = performance.now();
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
    options.onInference?.({ crops: crops.length, calls, ms: performance.now() - started });
    return Array.from(logits.data as Float32Array);
  }

  const scoreCrops = options.batch
    ? createMicroBatcher(infer, options.batch)
    : (crops: Crop[]) => infer(crops, 1);

  return {
    card,
    version: `${card.name}-${card.version}`,
    executionProviders: active,
    skippedExecutionProviders: skipped,
    aggregate,
    calibrate,
    calibrateCrop,
    scoreCrops,
    isTextured,
    whyUnreadable: (image) => whyPixelsUnreadable(image, size),
    async scoreImage(image, count = card.crops.count) {
      const unreadable = whyPixelsUnreadable(image, size);
      if (unreadable) {
        throw new MirageError("INVALID_ARGUMENT", unreadable, {
          reason: "image-smaller-than-crop",
          details: { width: image.width, height: image.height, cropSize: size },
        });
      }
      const t0 = performance.now();
      const positions = cropGrid(image.width, image.height, size, count);
      const grid = positions.map(({ x, y }) => extractCrop(image, x, y, size));
      const crops = grid.filter(isTextured);
      if (crops.length === 0) {
        throw new MirageError(
          "INVALID_ARGUMENT",
          `Every one of the ${grid.length} crops is flat (luminance residual under ${flatBelow} grey levels): a blank or smooth image has no grain for the pixel model to read`,
          { reason: "image-without-texture", details: { crops: grid.length } },
        );
      }
      const t1 = performance.now();
      const logits = await scoreCrops(crops);
      const logit = aggregate(logits);
      return {
        logits,
        crops: crops.map(({ x, y }) => ({ x, y, size })),
        flatCrops: grid.length - crops.length,
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
 * Why the pixel model cannot read an image, or null when it can: a side shorter than its crop.
 * The model reads original pixels, never resized; the smallest image it was trained on is 256 px
 * a side and the smallest it was calibrated on 128 (val halved). A shorter side would be read
 * from mirrored pixels, which look like neither a camera's nor a generator's: a 3000 × 40 banner
 * of a real photo read 0.98. Such an image gets no pixel verdict at all rather than a guess.
 */
export function whyPixelsUnreadable(
  image: { width: number; height: number },
  cropSize: number,
): string | null {
  if (image.width >= cropSize && image.height >= cropSize) return null;
  return `The image is ${image.width}×${image.height}, smaller than the ${cropSize}-px crops the pixel model reads at native resolution`;
}

/**
 * Gathers the crops of concurrent calls into shared inferences of at most `maxCrops` crops (a
 * single larger call still runs, alone). Inference runs one batch at a time (the session is
 * single-threaded by design, and onnxruntime-node runs it on the main thread). While the session
 * is idle, the first waiting call starts a timer of `maxWaitMs` and the batch runs when it fills or
 * the timer fires. Calls made while a batch runs wait for it; they are sent as soon as it ends,
 * on the next turn of the event loop, so that the follow-up calls of the batch's own callers (an
 * examination scores its crops in chunks) join them rather than trail one inference behind.
 */
export function createMicroBatcher(
  infer: (crops: Crop[], calls: number) => Promise<number[]>,
  options: { maxCrops: number; maxWaitMs: number },
): (crops: Crop[]) => Promise<number[]> {
  type Waiting = { crops: Crop[]; resolve: (logits: number[]) => void; reject: (error: unknown) => void };
  const waiting: Waiting[] = [];
  let waitingCrops = 0;
  let busy = false;
  let cancelScheduled: (() => void) | null = null;

  const schedule = (afterBatch: boolean) => {
    if (cancelScheduled) return;
    if (afterBatch) {
      const immediate = setImmediate(dispatch);
      cancelScheduled = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(dispatch, options.maxWaitMs);
      cancelScheduled = () => clearTimeout(timer);
    }
  };

  // The calls that fit in one batch, in arrival order (at least one).
  const take = (): Waiting[] => {
    const batch: Waiting[] = [];
    let crops = 0;
    while (
      waiting.length > 0 &&
      (batch.length === 0 || crops + waiting[0]!.crops.length <= options.maxCrops)
    ) {
      const next = waiting.shift()!;
      batch.push(next);
      crops += next.crops.length;
    }
    waitingCrops -= crops;
    return batch;
  };

  const dispatch = () => {
    cancelScheduled?.();
    cancelScheduled = null;
    if (busy || waiting.length === 0) return;
    busy = true;
    const batch = take();
    void run(batch).finally(() => {
      busy = false;
      if (waitingCrops >= options.maxCrops) dispatch();
      else if (waiting.length > 0) schedule(true);
    });
  };

  async function run(batch: Waiting[]): Promise<void> {
    try {
      const logits = await infer(
        batch.flatMap((w) => w.crops),
        batch.length,
      );
      let offset = 0;
      for (const w of batch) {
        w.resolve(logits.slice(offset, offset + w.crops.length));
        offset += w.crops.length;
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  return (crops) =>
    new Promise<number[]>((resolve, reject) => {
      if (crops.length === 0) return resolve([]);
      waiting.push({ crops, resolve, reject });
      waitingCrops += crops.length;
      if (busy) return; // sent when the running batch ends
      if (waitingCrops >= options.maxCrops) dispatch();
      else schedule(false);
    });
}

/** The logistic function. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
