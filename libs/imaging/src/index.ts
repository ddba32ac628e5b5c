/**
 * Image decoding under limits, crops of the original pixels for the pixel model, and the
 * re-encodings of the evaluation protocol.
 *
 * ```ts
 * import { decodeImage, gridCrops, applyPerturbation } from "@mirage/imaging";
 * const image = await decodeImage(bytes, { maxPixels: 40_000_000 });
 * const crops = gridCrops(image, 224, 6);
 * const shared = await applyPerturbation(bytes, "social");
 * ```
 */
export { decodeImage, alphaBackground } from "./decode.js";
export type { DecodedImage } from "./decode.js";
export { probeImage } from "./probe.js";
export type { ImageFormat, ImageProbe } from "./probe.js";
export { defaultDecodeLimits, decodeLimitCeilings } from "./limits.js";
export type { DecodeLimits } from "./limits.js";
export { imagingErrorReasons } from "./errors.js";
export type { ImagingErrorReason } from "./errors.js";
export { encodeJpeg, encodePng } from "./encode.js";
export {
  pixelsOnly,
  pixelsOnlyJpegQuality,
  extraPerturbationNames,
  perturbationNames,
  parsePerturbationSpec,
  applyPerturbation,
} from "./perturb.js";
export type { PerturbationName } from "./perturb.js";
export { cropGrid, extractCrop, gridCrops } from "./crops.js";
export type { Crop } from "./crops.js";
export { cropResidualRms, hasTexture, luminance, residualRms } from "./texture.js";
