import { Band, DecidedBy, type Verdict } from "@mirage/contracts";
import type { Detector, Policy } from "@mirage/detector";
import { createReasoner } from "@mirage/reasoning";

/** How deep the embedded judgement looks: triage only, escalate the uncertain, or always examine. */
export type Mode = "quick" | "adaptive" | "deep";

/** Produces the verdict for one image's bytes in a mode; names the reasoner it escalates to. */
export type Examine = ((bytes: Uint8Array, options: { mode: Mode; policy: Policy }) => Promise<Verdict>) & {
  readonly reasoningVersion: string;
};

/**
 * The embedded default of DESIGN.md: triage, then — as the gateway would — the reasoning
 * examination for what triage could not settle (adaptive; policy strict escalates everything
 * but decisive provenance), or for every image (deep).
 */
export function createExamine(detector: Detector): Examine {
  const reasoner = createReasoner({ detector });
  const examine = async (bytes: Uint8Array, { mode, policy }: { mode: Mode; policy: Policy }) => {
    const detection = await detector.detect(bytes, { policy });
    const decisive = detection.verdict.decidedBy === DecidedBy.PROVENANCE;
    const escalate =
      mode === "deep" ||
      (mode === "adaptive" && !decisive && (detection.band === Band.UNCERTAIN || policy === "strict"));
    if (!escalate) return detection.verdict;
    return reasoner.analyze({ bytes, detection, mode, policy });
  };
  return Object.assign(examine, { reasoningVersion: reasoner.version });
}
