import { Band, type Evidence } from "@mirage/contracts";
import type { ModelCard, Policy } from "@mirage/detector";

/** A probability as the trace prints it: two decimals. */
export function p2(value: number): string {
  return value.toFixed(2);
}

/** "1 crop", "3 crops", "2 patches". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The band's contract name. */
export function bandName(band: Band): string {
  return band === Band.LIKELY_AI ? "LIKELY_AI" : band === Band.LIKELY_REAL ? "LIKELY_REAL" : "UNCERTAIN";
}

/** "AI at ≥ 0.80, real at ≤ 0.20 under the default policy": the card's thresholds for a policy. */
export function thresholdsText(thresholds: ModelCard["thresholds"], policy: Policy): string {
  const real = policy === "strict" ? thresholds.strictLikelyReal : thresholds.likelyReal;
  return `AI at ≥ ${p2(thresholds.likelyAi)}, real at ≤ ${p2(real)} under the ${policy} policy`;
}

/** Provenance findings of a triage verdict: everything but the pixel model's own evidence. */
export function provenanceEvidence(evidence: readonly Evidence[]): Evidence[] {
  return evidence.filter((e) => e.kind !== "pixel-model");
}

/** "camera-exif: Canon EOS 5D (−0.30); c2pa: …" or null when there is none. */
export function evidenceList(evidence: readonly Evidence[]): string | null {
  if (evidence.length === 0) return null;
  return evidence
    .map(
      (e) =>
        `${e.kind}: ${e.summary.replace(/\.$/, "")} (${e.weight >= 0 ? "+" : "−"}${Math.abs(e.weight).toFixed(2)})`,
    )
    .join("; ");
}

/** Drops a trailing full stop, so that a summary can sit inside a sentence. */
export function clause(sentence: string): string {
  return sentence.replace(/\.$/, "");
}
