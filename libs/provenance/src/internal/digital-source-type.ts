/**
 * IPTC NewsCodes "digital source type" terms (https://cv.iptc.org/newscodes/digitalsourcetype/),
 * which both C2PA actions and XMP Iptc4xmpExt:DigitalSourceType use.
 */
export type SourceTypeClass = "generative-ai" | "algorithmic" | "capture" | "other";

/** The term of a NewsCodes URI ("…/trainedAlgorithmicMedia" → "trainedAlgorithmicMedia"). */
export function sourceTypeTerm(uri: string): string {
  const trimmed = uri.trim();
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf(":"), trimmed.lastIndexOf("#"));
  return trimmed.slice(cut + 1);
}

/**
 * Classifies a term. Generative AI: trainedAlgorithmicMedia and compositeWithTrainedAlgorithmicMedia
 * (media made, or partly made, by a model trained on sampled content). Algorithmic:
 * algorithmicMedia (made by an algorithm without training data: not a photo, not generative AI).
 * Capture: digitalCapture and computationalCapture.
 */
export function classifySourceType(term: string): SourceTypeClass {
  switch (term.toLowerCase()) {
    case "trainedalgorithmicmedia":
    case "compositewithtrainedalgorithmicmedia":
      return "generative-ai";
    case "algorithmicmedia":
      return "algorithmic";
    case "digitalcapture":
    case "computationalcapture":
      return "capture";
    default:
      return "other";
  }
}
