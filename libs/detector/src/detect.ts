import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { VerdictSchema, type Band, type Verdict } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { decodeImage, type DecodeLimits, type DecodedImage } from "@mirage/imaging";
import { analyzeProvenance, type ProvenanceReport } from "@mirage/provenance";
import { fuse, type Policy } from "./fusion.js";
import type { ExecutionProviderName } from "./execution-providers.js";
import type { ModelCard } from "./model-card.js";
import { loadPixelModel, type InferenceRecord, type PixelModel, type PixelScore } from "./pixel-model.js";

/** The shipped triage model, relative to this file (src/ or dist/ alike). */
export const defaultModelDir = fileURLToPath(new URL("../../../models/triage/v11/", import.meta.url));

/** Options of {@link createDetector}. */
export interface DetectorOptions {
  /** Model card directory; `null` runs provenance alone. Default: MIRAGE_TRIAGE_MODEL_DIR or the shipped model. */
  modelDir?: string | null;
  /** onnxruntime intra-op threads. Default 1. */
  intraOpThreads?: number;
  /** Micro-batching of concurrent detections' crops (services); off by default. */
  batch?: { maxCrops: number; maxWaitMs: number };
  /** onnxruntime execution providers in order of preference (see PixelModelOptions). Default ["cpu"]. */
  executionProviders?: readonly ExecutionProviderName[];
  /** GPU ordinal for cuda and tensorrt. Default 0. */
  gpuDeviceId?: number;
  /** Told of every inference of the pixel model (batch sizes, for metrics). */
  onInference?: (inference: InferenceRecord) => void;
  /** Decode limits (bytes, pixels, time). Default: @mirage/imaging's defaults. */
  limits?: Partial<DecodeLimits>;
}

/** Options of one {@link Detector.detect} call. */
export interface DetectOptions {
  /** `strict` narrows LIKELY_REAL. Default `default`. */
  policy?: Policy;
}

/** Milliseconds spent in each step of one detection. */
export interface DetectTimings {
  decodeMs: number;
  provenanceMs: number;
  /** Copying crops out of the image. */
  cropsMs: number;
  /** Inference (tensor included). */
  modelMs: number;
  fusionMs: number;
  totalMs: number;
}

/** What one detection found: the verdict and what it stands on. */
export interface Detection {
  /** The verdict (eventId/imageId/traceId empty: the caller fills them). */
  verdict: Verdict;
  band: Band;
  provenance: ProvenanceReport;
  pixel?: PixelScore;
  /** Why the loaded pixel model did not read the decoded image (too small, or every crop flat). */
  pixelsUnread?: string;
  /** The decoded image, when it could be decoded (for deeper looks by the caller). */
  image?: DecodedImage;
  timings: DetectTimings;
}

/** The shared judgement: provenance → pixel model → calibrated fusion. */
export interface Detector {
  /** The loaded pixel model, or null when running on provenance alone. */
  readonly pixelModel: PixelModel | null;
  /** The triage model version named in verdicts ("triage-v11", or "provenance-only"). */
  readonly modelVersion: string;
  detect(bytes: Uint8Array, options?: DetectOptions): Promise<Detection>;
  close(): Promise<void>;
}

/** Loads the model (once) and returns a detector that CLI and services share. */
export async function createDetector(options: DetectorOptions = {}): Promise<Detector> {
  const modelDir =
    options.modelDir === undefined
      ? (process.env.MIRAGE_TRIAGE_MODEL_DIR ?? defaultModelDir)
      : options.modelDir;
  const pixelModel =
    modelDir === null
      ? null
      : await loadPixelModel(modelDir, {
          intraOpThreads: options.intraOpThreads ?? 1,
          ...(options.batch ? { batch: options.batch } : {}),
          ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
          ...(options.gpuDeviceId === undefined ? {} : { gpuDeviceId: options.gpuDeviceId }),
          ...(options.onInference ? { onInference: options.onInference } : {}),
        });
  const modelVersion = pixelModel?.version ?? "provenance-only";

  async function detect(bytes: Uint8Array, detectOptions: DetectOptions = {}): Promise<Detection> {
    const started = performance.now();
    let mark = started;
    const lap = () => {
      const now = performance.now();
      const ms = now - mark;
      mark = now;
      return ms;
    };
    let image: DecodedImage | undefined;
    let decodeError: MirageError | undefined;
    try {
      image = await decodeImage(bytes, options.limits);
    } catch (error) {
      decodeError = MirageError.from(error, "undecodable-image");
      // Without readable bytes there is nothing for provenance either.
      if (decodeError.reason === "image-too-large" || decodeError.reason === "empty-image") throw decodeError;
    }
    const decodeMs = lap();
    const provenance = await analyzeProvenance(bytes, image ? { pixels: image } : {});
    const provenanceMs = lap();
    // An image we cannot decode still gets a verdict when its provenance alone decides.
    if (decodeError && !provenance.decisiveAi) throw decodeError;
    const reading: PixelReading = image && pixelModel ? await readPixels(pixelModel, image) : {};
    const { pixel, pixelsUnread } = reading;
    lap();
    const fused = fuse({
      provenance,
      pixel,
      ...(pixelsUnread === undefined ? {} : { pixelsUnread }),
      thresholds: pixelModel?.card.thresholds,
      minTexturedForBand: minTexturedForBand(pixelModel?.card),
      image,
      policy: detectOptions.policy ?? "default",
    });
    const fusionMs = lap();
    const totalMs = performance.now() - started;
    const verdict = create(VerdictSchema, {
      label: fused.label,
      pAi: fused.pAi,
      decidedBy: fused.decidedBy,
      band: fused.band,
      evidence: fused.evidence,
      modelVersions: { triage: modelVersion, reasoning: "" },
      timings: { triageMs: totalMs, reasoningMs: 0, totalMs },
    });
    return {
      verdict,
      band: fused.band,
      provenance,
      ...reading,
      ...(image ? { image } : {}),
      timings: {
        decodeMs,
        provenanceMs,
        cropsMs: pixel?.cropMs ?? 0,
        modelMs: pixel?.inferMs ?? 0,
        fusionMs,
        totalMs,
      },
    };
  }

  return {
    pixelModel,
    modelVersion,
    detect,
    close: async () => {
      await pixelModel?.close();
    },
  };
}

/** The pixel model's score of an image, or why it did not read it; neither without a model or an image. */
type PixelReading = { pixel?: PixelScore; pixelsUnread?: string };

/** Reads an image with the pixel model; too small, or nothing but flat crops, is said rather than thrown. */
async function readPixels(model: PixelModel, image: DecodedImage): Promise<PixelReading> {
  const tooSmall = model.whyUnreadable(image);
  if (tooSmall !== null) return { pixelsUnread: tooSmall };
  try {
    return { pixel: await model.scoreImage(image) };
  } catch (error) {
    if (error instanceof MirageError && error.reason === "image-without-texture")
      return { pixelsUnread: error.message };
    throw error;
  }
}

/** The card's fewest textured crops that may settle a band (1 for cards that read every crop). */
export function minTexturedForBand(card: ModelCard | undefined): number {
  return card?.crops.aggregation === "mean-logit-textured" ? card.crops.minTexturedForBand : 1;
}
