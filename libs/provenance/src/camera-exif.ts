import type { ExifFacts } from "./internal/exif-facts.js";
import type { ProvenanceEvidence } from "./types.js";

/**
 * Weak evidence for a real photograph: a camera make or model together with at least one capture
 * setting (exposure time, f-number, ISO). Weight −0.25 with all three settings, −0.2 otherwise;
 * never decisive, since EXIF is trivial to copy onto any image. A camera name without capture
 * settings, or EXIF naming only editing software, is not evidence.
 */
export function cameraExifEvidence(exif: ExifFacts): ProvenanceEvidence | undefined {
  const camera = cameraName(exif.make, exif.model);
  if (camera === undefined) return undefined;
  const settings: string[] = [];
  if (exif.exposureTime !== undefined) settings.push(formatExposure(exif.exposureTime));
  if (exif.fNumber !== undefined) settings.push(`f/${round(exif.fNumber)}`);
  if (exif.iso !== undefined) settings.push(`ISO ${Math.round(exif.iso)}`);
  if (settings.length === 0) return undefined;
  const details: Record<string, string> = { camera };
  if (exif.make !== undefined) details.make = exif.make;
  if (exif.model !== undefined) details.model = exif.model;
  if (exif.exposureTime !== undefined) details.exposureTime = formatExposure(exif.exposureTime);
  if (exif.fNumber !== undefined) details.fNumber = String(round(exif.fNumber));
  if (exif.iso !== undefined) details.iso = String(Math.round(exif.iso));
  if (exif.lensModel !== undefined) details.lens = exif.lensModel;
  if (exif.dateTimeOriginal !== undefined) details.dateTimeOriginal = exif.dateTimeOriginal;
  const lens = exif.lensModel === undefined ? "" : `, lens ${exif.lensModel}`;
  return {
    kind: "camera-exif",
    summary: `Camera EXIF: ${camera}, ${settings.join(", ")}${lens}.`,
    weight: settings.length === 3 ? -0.25 : -0.2,
    decisive: false,
    details: Object.fromEntries(Object.entries(details).map(([key, value]) => [key, value.slice(0, 200)])),
  };
}

/** "Canon" + "Canon EOS 5D Mark II" → "Canon EOS 5D Mark II"; "Apple" + "iPhone 12" → "Apple iPhone 12". */
function cameraName(make: string | undefined, model: string | undefined): string | undefined {
  if (model === undefined) return make;
  if (make === undefined) return model;
  const brand = make.split(/\s+/)[0]!.toLowerCase();
  return model.toLowerCase().startsWith(brand) ? model : `${make} ${model}`;
}

function formatExposure(seconds: number): string {
  if (seconds >= 1) return `${round(seconds)} s`;
  return `1/${Math.round(1 / seconds)} s`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
