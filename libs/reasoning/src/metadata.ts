import type { Evidence } from "@mirage/contracts";
import type { ModelCard } from "@mirage/detector";
import { evidenceList, p2 } from "./text.js";

/** Whether the file's provenance findings and its pixels tell the same story. */
export interface MetadataConsistency {
  /** True / false when there is something to compare; null when there are no findings. */
  consistent: boolean | null;
  text: string;
}

/**
 * Compares the (non-decisive) provenance findings of triage with what the pixels say. Camera
 * EXIF is weak evidence (it is easy to copy into any file), so a strong pixel verdict against it is
 * reported, not overruled by it; missing metadata is never evidence (uploads strip it all the time).
 */
export function readMetadata(
  provenance: readonly Evidence[],
  pixelPAi: number,
  thresholds: ModelCard["thresholds"],
): MetadataConsistency {
  const listed = evidenceList(provenance);
  if (listed === null) {
    return {
      consistent: null,
      text: "Metadata consistency: no provenance findings to weigh; stripped metadata is normal for uploads and no evidence either way.",
    };
  }
  const realSide = provenance.filter((e) => e.weight < 0);
  const aiSide = provenance.filter((e) => e.weight > 0);
  const pixelsAi = pixelPAi >= thresholds.likelyAi;
  const pixelsReal = pixelPAi <= thresholds.likelyReal;
  const conflicts: string[] = [];
  if (pixelsAi && realSide.length > 0) {
    const kinds = realSide.map((e) => e.kind).join(", ");
    conflicts.push(
      `${kinds} points to a camera while the pixels say AI strongly (${p2(pixelPAi)}); such metadata is easy to copy into a generated file, so the pixels weigh more`,
    );
  }
  if (pixelsReal && aiSide.length > 0) {
    const kinds = aiSide.map((e) => e.kind).join(", ");
    conflicts.push(
      `${kinds} leans AI while the pixels look real (${p2(pixelPAi)}): an edited photo or a mislabelled file`,
    );
  }
  if (conflicts.length > 0) {
    return {
      consistent: false,
      text: `Metadata consistency: ${listed}. Inconsistent: ${conflicts.join("; ")}.`,
    };
  }
  return { consistent: true, text: `Metadata consistency: ${listed}. Nothing contradicts the pixels.` };
}
