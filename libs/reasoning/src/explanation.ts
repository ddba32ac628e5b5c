import { Label } from "@mirage/contracts";
import type { Detection } from "@mirage/detector";
import type { Findings } from "./conclusion.js";
import { p2, provenanceEvidence } from "./text.js";

/**
 * The explanation a reviewer reads: what the label rests on, in words that agree with the label,
 * with the numbers and the region to look at — and which evidence decided.
 */
export function explain(label: Label, pAi: number, findings: Findings | null, detection: Detection): string {
  const weak = provenanceEvidence(detection.verdict.evidence).filter((e) => e.weight !== 0);
  const metadata =
    weak.length > 0
      ? ` Weak metadata (${weak.map((e) => e.kind).join(", ")}) moved it a little, as in triage; it never decides.`
      : "";
  if (!findings) {
    return `Explanation: triage's crops alone put the image ${sideWords(label)} (pAi ${p2(pAi)}). Decided by: the first impression.${metadata}`;
  }
  const c = findings.consistency;
  const stable =
    findings.viewGap === null
      ? ""
      : findings.viewGap < 0.15
        ? ", stable under mirroring and a JPEG re-encode"
        : `, though the reading moves under benign changes (gap ${p2(findings.viewGap)})`;
  const resampled =
    findings.noise?.period != null
      ? `; the pixels were resampled (period ${findings.noise.period} px), which weakens pixel evidence`
      : "";
  const aiPct = Math.round(c.aiShare * 100);
  const realPct = Math.round(c.realShare * 100);
  let why: string;
  switch (label) {
    case Label.AI_GENERATED:
      why = `the pixels read as generated: ${aiPct}% of ${c.crops} crops confidently AI-like, strongest in the ${c.mostAi.region} (${p2(c.mostAi.pAi)})${stable}${resampled}`;
      break;
    case Label.REAL:
      why = `the pixels read as a photograph: ${realPct}% of ${c.crops} crops confidently real-like, the most AI-like crop (${c.mostAi.region}, ${p2(c.mostAi.pAi)}) not enough to doubt it${stable}${resampled}`;
      break;
    default:
      why = `the evidence is not strong enough either way (pAi ${p2(pAi)}): ${aiPct}% of ${c.crops} crops AI-like and ${realPct}% real-like${stable}${resampled}; a reviewer should look first at the ${c.mostAi.region} (${p2(c.mostAi.pAi)})`;
  }
  return `Explanation: ${why}. Decided by: the pixel examination.${metadata}`;
}

function sideWords(label: Label): string {
  return label === Label.AI_GENERATED
    ? "on the AI side"
    : label === Label.REAL
      ? "on the real side"
      : "between the thresholds, so it needs review";
}
