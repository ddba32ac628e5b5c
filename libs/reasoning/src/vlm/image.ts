import type { DecodedImage } from "@mirage/imaging";
import sharp from "sharp";

/** Long side of the image the VLM sees: Qwen2.5-VL's default pixel budget is about 1 MP. */
export const VLM_IMAGE_MAX_SIDE = 1024;
const VLM_IMAGE_QUALITY = 90;

/**
 * The decoded image (EXIF orientation applied, alpha flattened) as a `data:image/jpeg` URL for an
 * OpenAI `image_url` content part: shrunk to at most {@link VLM_IMAGE_MAX_SIDE} px on its long
 * side (never enlarged) and re-encoded as JPEG q90 without metadata. Re-encoding from the decoded
 * pixels means every server can read it, whatever the upload's format, and nothing in the file's
 * metadata reaches the model except through the forensic findings.
 */
export async function imageDataUrl(image: DecodedImage): Promise<string> {
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({
      width: VLM_IMAGE_MAX_SIDE,
      height: VLM_IMAGE_MAX_SIDE,
      fit: "inside",
      withoutEnlargement: true,
    })
    .jpeg({ quality: VLM_IMAGE_QUALITY })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}
