import type { Detection, ModelCard, Policy } from "@mirage/detector";
import { bandName, clause, evidenceList, p2, provenanceEvidence, thresholdsText } from "./text.js";

/**
 * The first impression: the triage detection restated in a sentence — provenance findings, the
 * pixel model's score and the band — followed by why the examination goes as deep as it does.
 */
export function firstImpression(
  detection: Detection,
  thresholds: ModelCard["thresholds"] | undefined,
  policy: Policy,
  depthWhy: string,
): string {
  const { verdict } = detection;
  const pixel = verdict.evidence.find((e) => e.kind === "pixel-model");
  const provenance = evidenceList(provenanceEvidence(verdict.evidence));
  const parts = [
    `First impression (triage ${verdict.modelVersions?.triage || "unknown"}):`,
    pixel ? `${clause(pixel.summary)};` : "no pixel score (no decoded image or no pixel model);",
    provenance
      ? `provenance ${detection.provenance.decisiveAi ? "(decisive)" : "(weak)"}: ${provenance};`
      : "no provenance findings;",
    `triage pAi ${p2(verdict.pAi)}, band ${bandName(detection.band)}${thresholds ? ` (${thresholdsText(thresholds, policy)})` : ""}.`,
    depthWhy,
  ];
  return parts.join(" ");
}
