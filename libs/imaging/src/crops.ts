import type { DecodedImage } from "./decode.js";

/** A square region of the original pixels, never resized. */
export interface Crop {
  x: number;
  y: number;
  size: number;
  /** RGB, row-major, size × size × 3. */
  data: Uint8Array;
}

/**
 * Where `count` crops of `size` pixels sit on a `width` × `height` image: an even grid over the
 * whole image (rows × cols chosen to match the aspect ratio), so that every region has its say.
 * Images smaller than `size` yield one crop at the origin (padded by {@link extractCrop}).
 * Training and serving share this placement; keep it in step with training/mirage_train/crops.py.
 */
export function cropGrid(
  width: number,
  height: number,
  size: number,
  count: number,
): Array<{ x: number; y: number }> {
  if (width <= size && height <= size) return [{ x: 0, y: 0 }];
  const cols = Math.max(1, Math.min(count, Math.round(Math.sqrt((count * width) / height))));
  const rows = Math.max(1, Math.ceil(count / cols));
  const spanX = Math.max(0, width - size);
  const spanY = Math.max(0, height - size);
  const positions: Array<{ x: number; y: number }> = [];
  for (let r = 0; r < rows && positions.length < count; r++) {
    for (let c = 0; c < cols && positions.length < count; c++) {
      const x = cols === 1 ? Math.floor(spanX / 2) : Math.round((spanX * c) / (cols - 1));
      const y = rows === 1 ? Math.floor(spanY / 2) : Math.round((spanY * r) / (rows - 1));
      positions.push({ x, y });
    }
  }
  return positions;
}

/**
 * Copies a size × size crop at (x, y). Where the image is smaller than the crop, the missing
 * pixels mirror the image (reflection), so no flat border is invented.
 */
export function extractCrop(image: DecodedImage, x: number, y: number, size: number): Crop {
  const out = new Uint8Array(size * size * 3);
  for (let row = 0; row < size; row++) {
    const sy = reflect(y + row, image.height);
    for (let col = 0; col < size; col++) {
      const sx = reflect(x + col, image.width);
      const src = (sy * image.width + sx) * 3;
      const dst = (row * size + col) * 3;
      out[dst] = image.data[src]!;
      out[dst + 1] = image.data[src + 1]!;
      out[dst + 2] = image.data[src + 2]!;
    }
  }
  return { x, y, size, data: out };
}

/** Crops at the grid positions of {@link cropGrid}. */
export function gridCrops(image: DecodedImage, size: number, count: number): Crop[] {
  return cropGrid(image.width, image.height, size, count).map(({ x, y }) => extractCrop(image, x, y, size));
}

function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}
