import type { Detection, PixelModel, Policy } from "@mirage/detector";
import type { DecodedImage } from "@mirage/imaging";
import type { ExaminationBudget } from "./reasoner.js";
import type { Trace } from "./trace.js";

/** Everything the deep stages share about the case under examination. */
export interface Examination {
  /** The file as received (its JPEG markers tell how it was saved). */
  bytes: Uint8Array;
  model: PixelModel;
  image: DecodedImage;
  detection: Detection;
  policy: Policy;
  trace: Trace;
  signal?: AbortSignal | undefined;
  /** How many crops the deep stages may score. */
  budget: ExaminationBudget;
  /**
   * Log-odds that triage's weak provenance (camera EXIF, …) added to the pixel pAi. The
   * examination re-reads the pixels and adds the same shift, so weak metadata weighs as in triage.
   */
  weakShift: number;
}
