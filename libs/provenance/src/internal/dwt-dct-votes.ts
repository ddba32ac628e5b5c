/**
 * The block scoring of imwatermark's `dwtDct` method (ShieldMnt/invisible-watermark,
 * imwatermark/maxDct.py, `EmbedMaxDct.decode`), reimplemented so that it reads the same bits.
 *
 * What the reference does, step by step (and so what this file does):
 * 1. `cv2.cvtColor(bgr, COLOR_BGR2YUV)`; only channel 1 (U) is used: the loop runs over
 *    `range(2)` with scales `[0, 36, 36]`, so Y is skipped (scale 0) and V is never reached.
 * 2. The channel is cropped to a multiple of 4 pixels and `pywt.dwt2(..., 'haar')` gives the
 *    approximation band cA (half size); the detail bands are ignored.
 * 3. cA is cut into 4×4 blocks, row-major; block `num` votes for bit `num % length`.
 *    Despite the method's name there is no DCT: the reference takes the block as it is, finds the
 *    coefficient with the largest magnitude among the 15 after the top-left one (first on ties),
 *    and scores 1 when `|value| % 36 > 18`.
 * 4. A bit is 1 when the mean of its scores × 255 > 127.
 *
 * The arithmetic follows pywt's haar filter (two float64 multiply-adds per axis, rows first) so
 * that ties at exactly 18 fall the same way. Blocks can be scored a set of rows at a time (each
 * block depends on its own pixels only), with no allocation per block.
 */

/** The Haar filter tap pywt uses (1/√2 as a float64). */
const HAAR = Math.SQRT1_2;
/** The quantisation step of the U channel in imwatermark's defaults (`scales=[0,36,36]`). */
export const DWT_DCT_SCALE = 36;

/**
 * How the encoder turned pixels into the U channel it marked.
 * - `uint8-bgr`: 8-bit BGR, OpenCV's integer YUV (imwatermark on `cv2.imread` input; the SD 1.x and
 *   SD 2.x reference scripts).
 * - `float-bgr`: float BGR in [0, 255], OpenCV's float YUV (U offset 0.5, no rounding; the SDXL
 *   reference code in Stability-AI/generative-models).
 * - `float-rgb`: the same with red and blue swapped (diffusers' SDXL watermarker passed RGB as BGR).
 */
export type DwtDctEmbedding = "uint8-bgr" | "float-bgr" | "float-rgb";

/** Pixels as `@mirage/imaging` decodes them: 8-bit RGB, row-major, 3 channels. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** The smallest image the reference accepts (it raises below 256×256 pixels of area). */
export const DWT_DCT_MIN_AREA = 256 * 256;

// U of OpenCV's float BGR→YUV is linear in the pixel: (B − Y)·0.492 + 0.5 with
// Y = 0.114·B + 0.587·G + 0.299·R; so a Haar approximation coefficient, half the sum of four U
// values, is (own·ΣB + green·ΣG + other·ΣR) / 2 + 1, with "own" the channel the encoder took for blue.
const FLOAT_OWN = (0.492 * (1 - 0.114)) / 2;
const FLOAT_GREEN = (-0.492 * 0.587) / 2;
const FLOAT_OTHER = (-0.492 * 0.299) / 2;

/** HAAR·u for every 8-bit u: the same float64 products pywt computes, looked up. */
const HAAR_TIMES = Float64Array.from({ length: 256 }, (_, u) => HAAR * u);

/**
 * Scores block rows `first`, `first + step`, … of the image into `scan` (the `paths` asked for,
 * among those it holds) at their true (row-major) block indices: for every 8×8-pixel block (a 4×4 block of cA) and each colour path,
 * the magnitude of the largest coefficient among the 15 after the top-left one — the value the
 * reference scores. Integer path: pywt's float64 operation order on OpenCV's integer U, so
 * results are bit-exact. Float paths: from 2×2 channel sums (the input is already 8-bit, so the
 * encoder's float values cannot be recovered exactly anyway). Each block depends on its own
 * pixels only, so scoring rows in any order or subset gives the same values as one full pass.
 */
export function scoreDwtDctRows(
  pixels: RgbPixels,
  scan: DwtDctScan,
  first = 0,
  step = 1,
  paths: DwtDctPaths = { integer: true, float: true },
): void {
  const { data, width } = pixels;
  const { blockRows, blockCols } = scan;
  const uint8Bgr = scan.maxima["uint8-bgr"]!;
  const floatBgr = scan.maxima["float-bgr"];
  const floatRgb = scan.maxima["float-rgb"];
  const withInt = paths.integer;
  const withFloat = paths.float && floatBgr !== undefined && floatRgb !== undefined;
  const stride = width * 3;
  for (let bi = first; bi < blockRows; bi += step) {
    let block = bi * blockCols;
    for (let bj = 0; bj < blockCols; bj++, block++) {
      let maxInt = 0;
      let maxBgr = 0;
      let maxRgb = 0;
      for (let cell = 1; cell < 16; cell++) {
        // Cell (r, c) of the 4×4 block covers pixels (2r..2r+1, 2c..2c+1) of the 8×8 block.
        const top = (bi * 8 + 2 * (cell >> 2)) * stride + bj * 24 + (cell & 3) * 6;
        const bottom = top + stride;
        // The 2×2 pixels: a (top left), b (top right), d (bottom left), e (bottom right).
        const ar = data[top]!,
          ag = data[top + 1]!,
          ab = data[top + 2]!;
        const br = data[top + 3]!,
          bg = data[top + 4]!,
          bb = data[top + 5]!;
        const dr = data[bottom]!,
          dg = data[bottom + 1]!,
          db = data[bottom + 2]!;
        const er = data[bottom + 3]!,
          eg = data[bottom + 4]!,
          eb = data[bottom + 5]!;
        // OpenCV RGB2YCrCb_i<uchar> (YUV order, BGR input): yuv_shift 14, B2Y 1868, G2Y 9617,
        // R2Y 4899, B2UI 8061, delta 128 << 14, CV_DESCALE rounds by adding 1 << 13. U stays
        // within 2..253, so the reference's saturate_cast never clips.
        if (withInt) {
          const au = ((ab - ((ab * 1868 + ag * 9617 + ar * 4899 + 8192) >> 14)) * 8061 + 2105344) >> 14;
          const bu = ((bb - ((bb * 1868 + bg * 9617 + br * 4899 + 8192) >> 14)) * 8061 + 2105344) >> 14;
          const du = ((db - ((db * 1868 + dg * 9617 + dr * 4899 + 8192) >> 14)) * 8061 + 2105344) >> 14;
          const eu = ((eb - ((eb * 1868 + eg * 9617 + er * 4899 + 8192) >> 14)) * 8061 + 2105344) >> 14;
          // pywt dwt2: along rows first (f·x[2k+1] + f·x[2k]), then along columns.
          const t0 = HAAR_TIMES[du]! + HAAR_TIMES[au]!;
          const t1 = HAAR_TIMES[eu]! + HAAR_TIMES[bu]!;
          const value = HAAR * t1 + HAAR * t0;
          if (value > maxInt) maxInt = value;
        }
        if (withFloat) {
          const sumR = ar + br + dr + er;
          const sumG = ag + bg + dg + eg;
          const sumB = ab + bb + db + eb;
          const green = FLOAT_GREEN * sumG + 1;
          const vBgr = Math.abs(FLOAT_OWN * sumB + FLOAT_OTHER * sumR + green);
          const vRgb = Math.abs(FLOAT_OWN * sumR + FLOAT_OTHER * sumB + green);
          if (vBgr > maxBgr) maxBgr = vBgr;
          if (vRgb > maxRgb) maxRgb = vRgb;
        }
      }
      if (withInt) uint8Bgr[block] = maxInt;
      if (withFloat) {
        floatBgr[block] = maxBgr;
        floatRgb[block] = maxRgb;
      }
    }
  }
}

/** Which colour paths {@link scoreDwtDctRows} scores: the integer one, the two float ones. */
export interface DwtDctPaths {
  integer: boolean;
  float: boolean;
}

/** The blocks of one image, scored (wholly or in part) once, ready to vote for any pattern length. */
export interface DwtDctScan {
  /** Number of 4×4 cA blocks, in the reference's row-major order. */
  blocks: number;
  /** Rows and columns of blocks: block `num` sits at row ⌊num / blockCols⌋. */
  blockRows: number;
  blockCols: number;
  /** Per colour path, each block's largest coefficient magnitude (absent when not requested). */
  maxima: Partial<Record<DwtDctEmbedding, Float64Array>>;
}

/**
 * An empty scan of the image's blocks for the integer path and, when `withFloat`, both float
 * paths; {@link scoreDwtDctRows} fills it. Returns null below the reference's minimum size
 * (256×256 pixels of area).
 */
export function createDwtDctScan(pixels: RgbPixels, withFloat = true): DwtDctScan | null {
  const { width, height } = pixels;
  if (width * height < DWT_DCT_MIN_AREA) return null;
  // cA of the crop to a multiple of 4 has ⌊n/4⌋·2 rows; 4-row blocks of it: ⌊n/8⌋.
  const blockRows = Math.floor(height / 8);
  const blockCols = Math.floor(width / 8);
  const blocks = blockRows * blockCols;
  return {
    blocks,
    blockRows,
    blockCols,
    maxima: withFloat
      ? {
          "uint8-bgr": new Float64Array(blocks),
          "float-bgr": new Float64Array(blocks),
          "float-rgb": new Float64Array(blocks),
        }
      : { "uint8-bgr": new Float64Array(blocks) },
  };
}

/**
 * Scores every block once for the integer path and, when `withFloat`, for both float paths.
 * Returns null below the reference's minimum size (256×256 pixels of area).
 */
export function scanDwtDctBlocks(pixels: RgbPixels, withFloat = true): DwtDctScan | null {
  const scan = createDwtDctScan(pixels, withFloat);
  if (scan !== null) scoreDwtDctRows(pixels, scan);
  return scan;
}

/** Block `num` votes for bit `num % length` with score `|v| % 36 > 18`: ones and counts per bit. */
export function tallyDwtDctVotes(maxima: Float64Array, length: number): DwtDctVotes {
  const votes = { ones: new Uint32Array(length), counts: new Uint32Array(length) };
  // All blocks as one row: the row tally with nothing skipped.
  addDwtDctRowVotes(votes, maxima, { blockRows: 1, blockCols: maxima.length }, 0, 1);
  return votes;
}

/** Votes per bit: how many blocks scored 1, and how many voted. */
export interface DwtDctVotes {
  ones: Uint32Array;
  counts: Uint32Array;
}

/**
 * Adds the votes of block rows `first`, `first + step`, … to `into` ({@link tallyDwtDctVotes} over
 * those rows only). Blocks keep their true index, so each votes for the bit it votes for in the
 * full decode.
 */
export function addDwtDctRowVotes(
  into: DwtDctVotes,
  maxima: Float64Array,
  scan: Pick<DwtDctScan, "blockRows" | "blockCols">,
  first: number,
  step: number,
): void {
  const { ones, counts } = into;
  const length = ones.length;
  const half = DWT_DCT_SCALE / 2;
  for (let bi = first; bi < scan.blockRows; bi += step) {
    const start = bi * scan.blockCols;
    for (let num = start, bit = start % length; num < start + scan.blockCols; num++) {
      if (maxima[num]! % DWT_DCT_SCALE > half) ones[bit]!++;
      counts[bit]!++;
      if (++bit === length) bit = 0;
    }
  }
}

/** The reference's bit decision: mean score × 255 > 127, in integers. */
export function votesToBits(ones: Uint32Array, counts: Uint32Array): Uint8Array {
  const bits = new Uint8Array(ones.length);
  for (let i = 0; i < ones.length; i++) bits[i] = ones[i]! * 255 > 127 * counts[i]! ? 1 : 0;
  return bits;
}

/** The bits imwatermark's `WatermarkDecoder('bits', length).decode(bgr, 'dwtDct')` returns. */
export function decodeDwtDctBits(
  pixels: RgbPixels,
  length: number,
  embedding: DwtDctEmbedding = "uint8-bgr",
): Uint8Array | null {
  const scan = scanDwtDctBlocks(pixels, embedding !== "uint8-bgr");
  const maxima = scan?.maxima[embedding];
  if (maxima === undefined) return null;
  const { ones, counts } = tallyDwtDctVotes(maxima, length);
  return votesToBits(ones, counts);
}
