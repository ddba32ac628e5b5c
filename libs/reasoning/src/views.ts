import type { PixelModel } from "@mirage/detector";
import {
  decodeImage,
  defaultDecodeLimits,
  encodeJpeg,
  extractCrop,
  type Crop,
  type DecodedImage,
} from "@mirage/imaging";
import { throwIfAborted } from "./abort.js";
import type { Position } from "./grid.js";

/** The views the examination scores; each is a set of crops of one version of the pixels. */
export type ViewName = "original" | "mirrored" | "jpeg90" | "shifted" | "shifted-mirrored" | "jpeg75";

/** How each view reads in the trace. */
export const viewDescriptions: Record<ViewName, string> = {
  original: "original pixels",
  mirrored: "mirrored crops",
  jpeg90: "a JPEG q90 re-encode",
  shifted: "a grid shifted half a crop",
  "shifted-mirrored": "the shifted grid mirrored",
  jpeg75: "a JPEG q75 re-encode",
};

/** What to score: crops of `image` at `positions`, mirrored left-right when `mirror`. */
export interface ViewSpec {
  name: ViewName;
  image: DecodedImage;
  positions: Position[];
  mirror: boolean;
}

/** The model's reading of one view. */
export interface ViewScore {
  name: ViewName;
  positions: Position[];
  /** Per-crop logits, in position order. */
  logits: number[];
  /** The view's logit: its crops aggregated as the card says (PixelModel.aggregate). */
  logit: number;
  /** The card's calibration applied to the view's logit. */
  pAi: number;
}

/**
 * Crops per onnxruntime call: large enough to amortise the call, small enough that an abort
 * is noticed within a fraction of a second with the shipped model (~10–25 ms per crop).
 */
const BATCH = 16;

/** Scores every view with the pixel model, in batches, checking the abort signal between batches. */
export async function scoreViews(
  model: PixelModel,
  specs: ViewSpec[],
  signal?: AbortSignal,
): Promise<ViewScore[]> {
  const size = model.card.input.cropSize;
  const jobs = specs.flatMap((spec, view) => spec.positions.map((position) => ({ spec, view, position })));
  const logits: number[] = [];
  for (let start = 0; start < jobs.length; start += BATCH) {
    throwIfAborted(signal, "scoring the next crops");
    const crops = jobs.slice(start, start + BATCH).map(({ spec, position }) => {
      const crop = extractCrop(spec.image, position.x, position.y, size);
      return spec.mirror ? mirrorCrop(crop) : crop;
    });
    logits.push(...(await model.scoreCrops(crops)));
  }
  let offset = 0;
  return specs.map((spec) => {
    const own = logits.slice(offset, offset + spec.positions.length);
    offset += spec.positions.length;
    const logit = model.aggregate(own);
    return {
      name: spec.name,
      positions: spec.positions,
      logits: own,
      logit,
      pAi: model.calibrate(logit),
    };
  });
}

/**
 * The positions whose crop of `image` has texture for the model to read ({@link PixelModel.isTextured}):
 * flat backdrop carries no trace, so the examination reads it no more than triage does.
 */
export function texturedPositions(model: PixelModel, image: DecodedImage, positions: Position[]): Position[] {
  const size = model.card.input.cropSize;
  return positions.filter(({ x, y }) => model.isTextured(extractCrop(image, x, y, size)));
}

/** The crop mirrored left-right (test-time augmentation: a generator's traces survive a flip). */
export function mirrorCrop(crop: Crop): Crop {
  const { size, data } = crop;
  const out = new Uint8Array(data.length);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const src = (row * size + col) * 3;
      const dst = (row * size + (size - 1 - col)) * 3;
      out[dst] = data[src]!;
      out[dst + 1] = data[src + 1]!;
      out[dst + 2] = data[src + 2]!;
    }
  }
  return { ...crop, data: out };
}

/** The image as it reads after a JPEG re-encode at `quality` (what sharing does to uploads). */
export async function reencodeJpeg(image: DecodedImage, quality: number): Promise<DecodedImage> {
  const bytes = await encodeJpeg(image, quality);
  // Our own re-encode of pixels the detector already accepted: the limits are the image's own
  // size (or the defaults, when larger), so a detector configured above the defaults still works.
  return decodeImage(bytes, {
    maxBytes: Math.max(defaultDecodeLimits.maxBytes, bytes.byteLength),
    maxPixels: Math.max(defaultDecodeLimits.maxPixels, image.width * image.height),
    maxDimension: Math.max(defaultDecodeLimits.maxDimension, image.width, image.height),
  });
}
