/**
 * The shared judgement of Mirage Mesh: provenance → pixel model → calibrated fusion → verdict.
 * The CLI and the services call the same {@link createDetector}.
 *
 * ```ts
 * import { createDetector } from "@mirage/detector";
 * import { verdictToJson } from "@mirage/contracts";
 * const detector = await createDetector();
 * const { verdict } = await detector.detect(await readFile("upload.jpg"));
 * console.log(verdictToJson(verdict));
 * ```
 */
export { createDetector, defaultModelDir, minTexturedForBand } from "./detect.js";
export type { Detection, DetectOptions, Detector, DetectorOptions, DetectTimings } from "./detect.js";
export { bandOf, fuse, labelOf, pixelEvidence, regionName } from "./fusion.js";
export type { Fused, FusionInput, Policy } from "./fusion.js";
export { loadPixelModel, sigmoid, whyPixelsUnreadable } from "./pixel-model.js";
export type { InferenceRecord, PixelModel, PixelModelOptions, PixelScore } from "./pixel-model.js";
export { executionProviderNames, executionProvidersSchema } from "./execution-providers.js";
export type {
  ExecutionProviderName,
  SessionFactory,
  SkippedExecutionProvider,
} from "./execution-providers.js";
export { modelCardSchema, readModelCard } from "./model-card.js";
export type { ModelCard } from "./model-card.js";
export { createSemaphore } from "./semaphore.js";
export type { RunOptions, Semaphore, SemaphoreObserver, SemaphoreOptions } from "./semaphore.js";
