import type { DwtDctEmbedding, RgbPixels } from "./dwt-dct-votes.js";
import { DWT_DCT_MIN_AREA, DWT_DCT_SCALE } from "./dwt-dct-votes.js";

/** The Haar filter tap pywt uses. */
const F = Math.SQRT1_2;

/**
 * An embedder of imwatermark's `dwtDct` watermark (`WatermarkEncoder.encode(bgr, 'dwtDct')`),
 * written for the tests: it lets them put a known mark into a real photograph and check that the
 * decoder finds it after re-encoding. It follows imwatermark/maxDct.py `EmbedMaxDct.encode`:
 * BGR→YUV, Haar DWT of the U channel (cropped to a multiple of 4), in each 4×4 block of the
 * approximation band the largest-magnitude coefficient after the first is set to
 * `(⌊|v|/36⌋ + 0.25 + 0.5·bit)·36` with its sign kept, then the inverse DWT — with the reference's
 * swap of the horizontal and vertical detail bands (`idwt2((cA, (cV, cH, cD)))`) — and YUV→BGR.
 * Unlike numpy's unchecked cast, values are clamped to 0..255 when stored as 8 bits.
 */
export function embedDwtDctWatermark(
  pixels: RgbPixels,
  bits: readonly number[],
  embedding: DwtDctEmbedding = "uint8-bgr",
): RgbPixels {
  const { width, height, data } = pixels;
  if (width * height < DWT_DCT_MIN_AREA)
    throw new RangeError("image too small, should be larger than 256x256");
  const n = width * height;
  const y = new Float64Array(n);
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  const integer = embedding === "uint8-bgr";
  for (let i = 0; i < n; i++) {
    const red = data[i * 3]!;
    const green = data[i * 3 + 1]!;
    const blue = data[i * 3 + 2]!;
    // In float-rgb the encoder sees red where it expects blue.
    const b = embedding === "float-rgb" ? red : blue;
    const r = embedding === "float-rgb" ? blue : red;
    if (integer) {
      const yy = (b * 1868 + green * 9617 + r * 4899 + 8192) >> 14;
      y[i] = yy;
      u[i] = clamp8(((b - yy) * 8061 + 2105344) >> 14);
      v[i] = clamp8(((r - yy) * 14369 + 2105344) >> 14);
    } else {
      const yy = b * 0.114 + green * 0.587 + r * 0.299;
      y[i] = yy;
      u[i] = (b - yy) * 0.492 + 0.5;
      v[i] = (r - yy) * 0.877 + 0.5;
    }
  }
  const rows = Math.floor(height / 4) * 4;
  const cols = Math.floor(width / 4) * 4;
  const caRows = rows / 2;
  const caCols = cols / 2;
  // Haar analysis of the cropped U channel with pywt's operation order (rows, then columns), so
  // that values truncated back to 8 bits fall as the reference's do.
  const cA = new Float64Array(caRows * caCols);
  const cH = new Float64Array(caRows * caCols);
  const cV = new Float64Array(caRows * caCols);
  const cD = new Float64Array(caRows * caCols);
  for (let r = 0; r < caRows; r++) {
    for (let c = 0; c < caCols; c++) {
      const a = u[2 * r * width + 2 * c]!;
      const b = u[2 * r * width + 2 * c + 1]!;
      const cc = u[(2 * r + 1) * width + 2 * c]!;
      const d = u[(2 * r + 1) * width + 2 * c + 1]!;
      const low0 = F * cc + F * a;
      const low1 = F * d + F * b;
      const high0 = -F * cc + F * a;
      const high1 = -F * d + F * b;
      const k = r * caCols + c;
      cA[k] = F * low1 + F * low0;
      cV[k] = -F * low1 + F * low0;
      cH[k] = F * high1 + F * high0;
      cD[k] = -F * high1 + F * high0;
    }
  }
  let num = 0;
  for (let bi = 0; bi < Math.floor(caRows / 4); bi++) {
    for (let bj = 0; bj < Math.floor(caCols / 4); bj++) {
      let pos = 1;
      let best = -1;
      for (let k = 1; k < 16; k++) {
        const value = Math.abs(cA[(bi * 4 + (k >> 2)) * caCols + bj * 4 + (k & 3)]!);
        if (value > best) {
          best = value;
          pos = k;
        }
      }
      const at = (bi * 4 + (pos >> 2)) * caCols + bj * 4 + (pos & 3);
      const bit = bits[num % bits.length]! ? 1 : 0;
      const value = cA[at]!;
      const magnitude = (Math.floor(Math.abs(value) / DWT_DCT_SCALE) + 0.25 + 0.5 * bit) * DWT_DCT_SCALE;
      cA[at] = value >= 0 ? magnitude : -magnitude;
      num++;
    }
  }
  // Synthesis as pywt.idwt2((cA, (cV, cH, cD))) — the reference's swap of the detail bands —
  // columns first, then rows.
  for (let r = 0; r < caRows; r++) {
    for (let c = 0; c < caCols; c++) {
      const k = r * caCols + c;
      const A = cA[k]!;
      const asH = cV[k]!;
      const asV = cH[k]!;
      const D = cD[k]!;
      const p0 = F * A + F * asV;
      const p1 = F * A - F * asV;
      const q0 = F * asH + F * D;
      const q1 = F * asH - F * D;
      u[2 * r * width + 2 * c] = F * p0 + F * q0;
      u[2 * r * width + 2 * c + 1] = F * p1 + F * q1;
      u[(2 * r + 1) * width + 2 * c] = F * p0 - F * q0;
      u[(2 * r + 1) * width + 2 * c + 1] = F * p1 - F * q1;
    }
  }
  const out = new Uint8Array(data.length);
  for (let yy = 0; yy < height; yy++) {
    for (let xx = 0; xx < width; xx++) {
      const i = yy * width + xx;
      const inCrop = yy < rows && xx < cols;
      let b: number;
      let g: number;
      let r: number;
      if (integer) {
        // numpy stores the float U back into the uint8 YUV image by truncation.
        const uu = inCrop ? clamp8(Math.trunc(u[i]!)) : u[i]!;
        const yv = y[i]!;
        const vv = v[i]!;
        b = clamp8(yv + (((uu - 128) * 33292 + 8192) >> 14));
        g = clamp8(yv + (((uu - 128) * -6472 + (vv - 128) * -9519 + 8192) >> 14));
        r = clamp8(yv + (((vv - 128) * 18678 + 8192) >> 14));
      } else {
        const yv = y[i]!;
        const uu = u[i]! - 0.5;
        const vv = v[i]! - 0.5;
        b = clamp8(Math.round(yv + uu * 2.032));
        g = clamp8(Math.round(yv + uu * -0.395 + vv * -0.581));
        r = clamp8(Math.round(yv + vv * 1.14));
      }
      const red = embedding === "float-rgb" ? b : r;
      const blue = embedding === "float-rgb" ? r : b;
      out[i * 3] = red;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = blue;
    }
  }
  return { data: out, width, height, channels: 3 };
}

function clamp8(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/** The bits of `bytes`, most significant first (numpy.unpackbits). */
export function bytesToBits(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  for (const byte of bytes) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
  return bits;
}
