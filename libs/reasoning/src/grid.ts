/** A rectangular grid of crop positions: every (x, y) of xs × ys is a crop's top-left corner. */
export interface Grid {
  xs: number[];
  ys: number[];
}

/** A crop's top-left corner. */
export interface Position {
  x: number;
  y: number;
}

/**
 * The dense grid of the analytic stage: up to `maxCrops` crops of `size` pixels, as a full
 * rectangle whose shape follows the image's aspect ratio, spread evenly from edge to edge.
 * Bounded by the image: along each axis no more crops than a stride of half a crop allows, so a
 * small image gets a few overlapping crops instead of dozens of near-copies.
 */
export function denseGrid(width: number, height: number, size: number, maxCrops: number): Grid {
  const capX = axisCapacity(width, size);
  const capY = axisCapacity(height, size);
  let nx = clamp(Math.round(Math.sqrt((maxCrops * width) / height)), 1, capX);
  const ny = clamp(Math.floor(maxCrops / nx), 1, capY);
  nx = clamp(Math.floor(maxCrops / ny), 1, capX);
  return { xs: spread(width, size, nx), ys: spread(height, size, ny) };
}

/**
 * The grid that straddles the seams of `grid`: the midpoints between neighbouring crops, so each
 * new crop mixes pixels two earlier crops saw apart. An axis with a single crop keeps its place;
 * a 1 × 1 grid has no seam, and the result is empty. At most `maxCrops`, evenly subsampled.
 */
export function shiftedGrid(grid: Grid, maxCrops: number): Position[] {
  if (grid.xs.length === 1 && grid.ys.length === 1) return [];
  const xs = midpoints(grid.xs);
  const ys = midpoints(grid.ys);
  return subsample(positionsOf({ xs, ys }), maxCrops);
}

/** All positions of a grid, row by row. */
export function positionsOf(grid: Grid): Position[] {
  return grid.ys.flatMap((y) => grid.xs.map((x) => ({ x, y })));
}

/** Every `n/max`-th element, so that a long list keeps its spread when cut to `max`. */
export function subsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]!);
}

// Crops along an axis of `length` pixels when neighbours may overlap by at most half a crop.
function axisCapacity(length: number, size: number): number {
  if (length <= size) return 1;
  return 1 + Math.ceil((length - size) / (size / 2));
}

function spread(length: number, size: number, n: number): number[] {
  const span = Math.max(0, length - size);
  if (n === 1) return [Math.floor(span / 2)];
  return Array.from({ length: n }, (_, i) => Math.round((span * i) / (n - 1)));
}

function midpoints(values: number[]): number[] {
  if (values.length === 1) return values;
  return values.slice(1).map((v, i) => Math.round((values[i]! + v) / 2));
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
