/** 8-bit RGB pixels, row-major, and their size. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Where stored pixel (x, y) lands under each EXIF orientation, as an affine map of pixel indices:
 * destination index = origin + x·stepX + y·stepY, for a stored image of width w and height h.
 * Orientations 5–8 swap the sides.
 */
function destinationMap(orientation: number, w: number, h: number): [number, number, number] {
  switch (orientation) {
    case 2: // mirrored left to right
      return [w - 1, -1, w];
    case 3: // turned 180°
      return [(h - 1) * w + w - 1, -1, -w];
    case 4: // mirrored top to bottom
      return [(h - 1) * w, 1, -w];
    case 5: // transposed (mirrored, then turned 90° anticlockwise)
      return [0, h, 1];
    case 6: // turned 90° clockwise
      return [h - 1, h, -1];
    case 7: // transversed (mirrored, then turned 90° clockwise)
      return [(w - 1) * h + h - 1, -h, -1];
    case 8: // turned 90° anticlockwise
      return [(w - 1) * h, -h, 1];
    default:
      throw new RangeError(`EXIF orientation ${orientation} is not 1–8`);
  }
}

/** Square tiles the copy walks: source and destination rows of one tile stay in cache. */
const TILE = 32;

/**
 * Applies an EXIF orientation (1–8) to decoded RGB pixels, as libvips' autorotate would.
 *
 * Decoding applies it here rather than in libvips: libvips turns a whole 2 MP image by 90° in
 * 20–24 ms on one thread, against 7–14 ms for this copy, and phones store most portrait photos
 * sideways with orientation 6 (libs/imaging/README.md). `decode.test.ts` checks every
 * orientation against libvips pixel for pixel.
 */
export function applyOrientation(image: RgbPixels, orientation: number): RgbPixels {
  if (orientation === 1) return image;
  const { data: src, width: w, height: h } = image;
  const [origin, stepX, stepY] = destinationMap(orientation, w, h);
  const out = new Uint8Array(src.length);
  for (let ty = 0; ty < h; ty += TILE) {
    const yEnd = Math.min(ty + TILE, h);
    for (let tx = 0; tx < w; tx += TILE) {
      const xEnd = Math.min(tx + TILE, w);
      for (let y = ty; y < yEnd; y++) {
        let s = (y * w + tx) * 3;
        let d = (origin + tx * stepX + y * stepY) * 3;
        const dStep = stepX * 3;
        for (let x = tx; x < xEnd; x++, s += 3, d += dStep) {
          out[d] = src[s]!;
          out[d + 1] = src[s + 1]!;
          out[d + 2] = src[s + 2]!;
        }
      }
    }
  }
  const swaps = orientation >= 5;
  return { data: out, width: swaps ? h : w, height: swaps ? w : h };
}
