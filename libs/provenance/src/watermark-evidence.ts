import type { WatermarkFinding } from "./sd-watermark.js";
import type { ProvenanceEvidence } from "./types.js";

/**
 * Evidence from a watermark finding. Decisive (weight 1) when the chance that an unmarked image
 * matches this well is ≤ 1e-6 over all tests; otherwise the weight follows the significance,
 * from 0.3 at a bound of 1e-2 (a bare 34 of 48) to 0.9 at 1e-6: the DWT-DCT mark is fragile, and
 * a weak match on its own must not outweigh the pixel model.
 */
export function watermarkEvidence(finding: WatermarkFinding): ProvenanceEvidence {
  const significance = -Math.log10(Math.max(finding.falsePositiveBound, 1e-300));
  const weight = finding.decisive
    ? 1
    : Math.round(Math.min(0.9, Math.max(0.3, 0.3 + (0.6 * (significance - 2)) / 4)) * 100) / 100;
  return {
    kind: "watermark",
    summary: `${finding.label} invisible watermark (DWT-DCT, ${finding.payload}): ${finding.bitsMatched} of ${finding.bitsTotal} bits match${finding.decisive ? "" : ", short of a decisive match"}.`,
    weight,
    decisive: finding.decisive,
    details: {
      watermark: finding.watermark,
      payload: finding.payload,
      embedding: finding.embedding,
      bitsMatched: String(finding.bitsMatched),
      bitsTotal: String(finding.bitsTotal),
      falsePositiveBound: finding.falsePositiveBound.toExponential(2),
    },
  };
}
