/**
 * Image decoding under limits, and crops of the original pixels for the pixel model.
 *
 * ```ts
 * import { decodeImage, gridCrops } from "@mirage/imaging";
 * const image = await decodeImage(bytes, { maxPixels: 40_000_000 });
 * const crops = gridCrops(image, 224, 6);
 * ```
 */
export { decodeImage, defaultDecodeLimits } from "./decode.js";
export type { DecodeLimits, DecodedImage, ImageFormat } from "./decode.js";
export { cropGrid, extractCrop, gridCrops } from "./crops.js";
export type { Crop } from "./crops.js";
