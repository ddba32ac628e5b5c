/**
 * The reflective examination of escalated images (DESIGN.md "Detection" 4): the built-in forensic
 * backend re-reads an image with the detector's pixel model — many crops, test-time augmentation,
 * noise and spectrum, metadata consistency — and reflects when its stages disagree.
 *
 * ```ts
 * import { createDetector } from "@mirage/detector";
 * import { createReasoner } from "@mirage/reasoning";
 * const detector = await createDetector();
 * const reasoner = createReasoner({ detector });
 * const detection = await detector.detect(bytes);
 * const verdict = await reasoner.analyze({ bytes, detection, mode: "adaptive", policy: "default" }, { onStep: console.log });
 * ```
 */
export { createReasoner, defaultExaminationBudget } from "./reasoner.js";
export type {
  AnalyzeInput,
  AnalyzeOptions,
  ExaminationBudget,
  Reasoner,
  ReasonerOptions,
  ReasoningModeName,
} from "./reasoner.js";
export {
  defaultReasoningCardDir,
  readReasoningCard,
  reasoningCardFor,
  reasoningCardSchema,
} from "./calibration.js";
export type { ReasoningCard } from "./calibration.js";
export { createVlmReasoner, vlmDefaults } from "./vlm/vlm-reasoner.js";
export type { VlmEndpoint, VlmReasonerOptions } from "./vlm/vlm-reasoner.js";
export { vlmFailureReasons } from "./vlm/failure.js";
export type { VlmFailureReason } from "./vlm/failure.js";
export { withDeadline } from "./deadline.js";
