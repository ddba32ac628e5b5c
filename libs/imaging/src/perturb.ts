import type { Sharp } from "sharp";
import { decodeImage, type DecodedImage } from "./decode.js";
import { baselineJpeg, bytesOf, encodeJpeg, fastPng } from "./encode.js";
import { imagingError } from "./errors.js";
import { sharp } from "./internal/sharp.js";
import { resolveDecodeLimits, type DecodeLimits } from "./limits.js";

/** The perturbations of the evaluation protocol (DESIGN.md), each applied to both classes alike: `--perturb all`. */
export const perturbationNames = [
  "jpeg75",
  "jpeg50",
  "resize50",
  "upscale2x",
  "crop512",
  "blur1",
  "sharpen",
  "screenshot",
  "social",
] as const;

/**
 * Edits outside the protocol's list that probe two weaknesses of the pixel model, never in the
 * protocol's `all`: `grayscale` (a black-and-white filter) and `whitebg` (a near-white background
 * made pure white, as background-removal and catalogue tools do). Each applies to both classes.
 */
export const extraPerturbationNames = ["grayscale", "whitebg"] as const;

/** One of {@link perturbationNames} or {@link extraPerturbationNames}. */
export type PerturbationName = (typeof perturbationNames)[number] | (typeof extraPerturbationNames)[number];

const knownPerturbations: readonly string[] = [...perturbationNames, ...extraPerturbationNames];

/** `whitebg` turns a pixel pure white when every channel is above this: the near-white of a studio backdrop. */
const nearWhite = 235;

/** The quality of the `pixels-only` protocol's re-encoding. */
export const pixelsOnlyJpegQuality = 90;

/**
 * The `pixels-only` protocol: decode (EXIF orientation applied, alpha flattened on white), drop
 * every piece of metadata and re-encode as a baseline JPEG of quality 90, 4:2:0, whatever the
 * class or the input format, so that only the pixel evidence remains.
 */
export async function pixelsOnly(bytes: Uint8Array, limits: Partial<DecodeLimits> = {}): Promise<Uint8Array> {
  return encodeJpeg(await decodeImage(bytes, limits), pixelsOnlyJpegQuality);
}

/**
 * Splits a spec ("jpeg75", "resize50+jpeg75") into its steps, in order. Throws MirageError
 * INVALID_ARGUMENT `unknown-perturbation` for an empty spec or an unknown name, before any work.
 */
export function parsePerturbationSpec(spec: string): PerturbationName[] {
  const steps = spec.split("+").map((step) => step.trim());
  for (const step of steps) {
    if (!knownPerturbations.includes(step)) {
      throw imagingError(
        "unknown-perturbation",
        `unknown perturbation "${step}" in "${spec}": expected ${knownPerturbations.join(", ")}, or a chain joined by "+"`,
        {
          spec,
          step,
        },
      );
    }
  }
  return steps as PerturbationName[];
}

/**
 * Applies a perturbation spec (one name or a chain joined by "+") and returns encoded bytes.
 * Every step decodes its input under `limits` (orientation applied, metadata gone) and encodes its
 * output: geometry and filter steps as lossless PNG, so that only jpeg75, jpeg50, social (JPEG)
 * and the resampling of screenshot change the pixels beyond what the step names. The same input
 * always gives the same bytes. `limits` apply to each step's decode (its timeout included), and
 * an upscale whose output would break them is refused before it runs.
 */
export async function applyPerturbation(
  bytes: Uint8Array,
  spec: string,
  limits: Partial<DecodeLimits> = {},
): Promise<Uint8Array> {
  const steps = parsePerturbationSpec(spec);
  const lim = resolveDecodeLimits(limits);
  let current = bytes;
  for (const step of steps) {
    current = await applyStep(step, await decodeImage(current, lim), lim);
  }
  return current;
}

function applyStep(step: PerturbationName, image: DecodedImage, lim: DecodeLimits): Promise<Uint8Array> {
  const half = (n: number): number => Math.max(1, Math.round(n / 2));
  const scaled = (n: number, factor: number): number => Math.max(1, Math.round(n * factor));
  switch (step) {
    case "jpeg75":
      return encodeJpeg(image, 75);
    case "jpeg50":
      return encodeJpeg(image, 50);
    case "resize50":
      return lossless(resized(image, half(image.width), half(image.height)));
    case "upscale2x":
      checkOutputSize(image, image.width * 2, image.height * 2, lim, step);
      return lossless(resized(image, image.width * 2, image.height * 2));
    case "crop512": {
      const width = Math.min(512, image.width);
      const height = Math.min(512, image.height);
      const left = Math.floor((image.width - width) / 2);
      const top = Math.floor((image.height - height) / 2);
      return lossless(pixels(image).extract({ left, top, width, height }));
    }
    case "blur1":
      return lossless(pixels(image).blur(1));
    case "sharpen":
      return lossless(pixels(image).sharpen());
    case "screenshot":
      // A screenshot resamples what the screen showed and saves it losslessly.
      return lossless(resized(image, scaled(image.width, 0.8), scaled(image.height, 0.8)));
    case "social":
      // Sharing apps bound the long side to 1080 px (never enlarging) and re-encode at about 80.
      return encoded(
        pixels(image)
          .resize(1080, 1080, { fit: "inside", withoutEnlargement: true, kernel: "lanczos3" })
          .jpeg({ ...baselineJpeg, quality: 80 }),
      );
    case "grayscale":
      return lossless(pixels(image).grayscale().toColourspace("srgb"));
    case "whitebg":
      return lossless(pixels(whiteBackground(image)));
  }
}

function whiteBackground(image: DecodedImage): DecodedImage {
  const data = new Uint8Array(image.data);
  for (let i = 0; i < data.length; i += 3) {
    if (data[i]! > nearWhite && data[i + 1]! > nearWhite && data[i + 2]! > nearWhite)
      data.fill(255, i, i + 3);
  }
  return { ...image, data };
}

function pixels(image: DecodedImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

function resized(image: DecodedImage, width: number, height: number): Sharp {
  return pixels(image).resize(width, height, { fit: "fill", kernel: "lanczos3" });
}

async function encoded(pipeline: Sharp): Promise<Uint8Array> {
  return bytesOf(await pipeline.toBuffer());
}

function lossless(pipeline: Sharp): Promise<Uint8Array> {
  return encoded(pipeline.png(fastPng));
}

/** An upscale whose result the next decode would refuse is refused now, before the work. */
function checkOutputSize(
  image: DecodedImage,
  width: number,
  height: number,
  lim: DecodeLimits,
  step: PerturbationName,
): void {
  if (Math.max(width, height) > lim.maxDimension || width * height > lim.maxPixels) {
    throw imagingError(
      "image-too-many-pixels",
      `${step} of a ${image.width}×${image.height} image gives ${width}×${height}, beyond the limits of ${lim.maxPixels} pixels and ${lim.maxDimension} px a side`,
      { format: image.format, width, height, limit: lim.maxPixels, step },
    );
  }
}
