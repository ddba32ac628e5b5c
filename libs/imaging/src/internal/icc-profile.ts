// Decides whether an embedded ICC profile describes sRGB, so that decoding may skip a colour
// transform that would change nothing. libvips converts every profiled image to sRGB through
// littleCMS (device → Lab PCS → sRGB in floating point): for a 2-megapixel JPEG that is ~30 ms
// of the ~45 ms decode on one core, and for a profile that is sRGB already the result equals the
// pixels as stored (measured on every sRGB-profiled file of aigi-v1: at most 1 grey level on a
// handful of pixels). Phones and photo editors embed such profiles on most of their exports.
//
// The profile is read as hostile bytes: any offset or size outside the buffer, or any tag we do not
// fully understand, makes the answer "not sRGB", which keeps the full transform.

/** sRGB's primaries adapted to the D50 PCS (Bradford), as every sRGB profile stores them. */
const srgbColorants = {
  rXYZ: [0.436066, 0.222488, 0.013916],
  gXYZ: [0.385147, 0.716873, 0.097076],
  bXYZ: [0.143066, 0.060608, 0.714096],
} as const;

/** A colorant may differ by this much (s15Fixed16 rounding and vendors' own derivations ~0.0005). */
const colorantTolerance = 0.002;

/** A tone curve may move an 8-bit level by at most this much once re-encoded with sRGB's curve. */
const curveToleranceLevels = 0.5;

const trcTags = ["rTRC", "gTRC", "bTRC"] as const;

/**
 * Whether `icc` is a matrix/TRC RGB profile whose primaries and tone curves are sRGB's (within a
 * fraction of an 8-bit level), so that converting its pixels to sRGB is the identity. False for
 * anything else: other primaries (Display P3, Adobe RGB), other curves, LUT-based profiles (an
 * A2B/D2B tag takes precedence over the matrix in a CMM), non-RGB profiles, and malformed bytes.
 */
export function isSrgbProfile(icc: Uint8Array): boolean {
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  if (icc.byteLength < 132) return false;
  if (ascii(icc, 16) !== "RGB " || ascii(icc, 20) !== "XYZ ") return false;
  const tags = readTagTable(icc, view);
  if (!tags) return false;
  for (const sig of tags.keys()) if (sig.startsWith("A2B") || sig.startsWith("D2B")) return false;
  for (const [sig, expected] of Object.entries(srgbColorants)) {
    const xyz = readXyz(icc, view, tags.get(sig));
    if (!xyz || xyz.some((v, i) => Math.abs(v - expected[i]!) > colorantTolerance)) return false;
  }
  return trcTags.every((sig) => {
    const curve = readCurve(icc, view, tags.get(sig));
    return curve !== undefined && matchesSrgbCurve(curve);
  });
}

interface TagEntry {
  offset: number;
  size: number;
}

function readTagTable(icc: Uint8Array, view: DataView): Map<string, TagEntry> | undefined {
  const count = view.getUint32(128);
  if (count > 1000 || 132 + count * 12 > icc.byteLength) return undefined;
  const tags = new Map<string, TagEntry>();
  for (let i = 0; i < count; i++) {
    const at = 132 + i * 12;
    const offset = view.getUint32(at + 4);
    const size = view.getUint32(at + 8);
    if (offset + size > icc.byteLength) return undefined;
    tags.set(ascii(icc, at), { offset, size });
  }
  return tags;
}

function readXyz(icc: Uint8Array, view: DataView, tag: TagEntry | undefined): number[] | undefined {
  if (!tag || tag.size < 20 || ascii(icc, tag.offset) !== "XYZ ") return undefined;
  return [0, 1, 2].map((i) => view.getInt32(tag.offset + 8 + i * 4) / 65536);
}

/** A tone curve: device value in [0, 1] → linear light in [0, 1]. */
type ToneCurve = (x: number) => number;

function readCurve(icc: Uint8Array, view: DataView, tag: TagEntry | undefined): ToneCurve | undefined {
  if (!tag || tag.size < 12) return undefined;
  const type = ascii(icc, tag.offset);
  if (type === "curv") {
    const n = view.getUint32(tag.offset + 8);
    if (12 + n * 2 > tag.size) return undefined;
    if (n === 0) return (x) => x;
    if (n === 1) {
      const gamma = view.getUint16(tag.offset + 12) / 256;
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, i) => view.getUint16(tag.offset + 12 + i * 2) / 65535);
    return (x) => {
      const at = x * (n - 1);
      const i = Math.min(n - 2, Math.floor(at));
      return table[i]! + (table[i + 1]! - table[i]!) * (at - i);
    };
  }
  if (type === "para") {
    const fn = view.getUint16(tag.offset + 8);
    const arity = [1, 3, 4, 5, 7][fn];
    if (arity === undefined || 12 + arity * 4 > tag.size) return undefined;
    const p = Array.from({ length: arity }, (_, i) => view.getInt32(tag.offset + 12 + i * 4) / 65536);
    return parametricCurve(fn, p);
  }
  return undefined;
}

/** ICC.1:2010 table 65: the five parametric curve functions. */
function parametricCurve(fn: number, p: number[]): ToneCurve {
  const [g = 1, a = 1, b = 0, c = 0, d = 0, e = 0, f = 0] = p;
  const pow = (v: number) => (v > 0 ? v ** g : 0);
  switch (fn) {
    case 0:
      return (x) => pow(x);
    case 1:
      return (x) => (x >= -b / a ? pow(a * x + b) : 0);
    case 2:
      return (x) => (x >= -b / a ? pow(a * x + b) + c : c);
    case 3:
      return (x) => (x >= d ? pow(a * x + b) : c * x);
    default:
      return (x) => (x >= d ? pow(a * x + b) + e : c * x + f);
  }
}

function matchesSrgbCurve(curve: ToneCurve): boolean {
  for (let level = 0; level <= 255; level++) {
    const linear = curve(level / 255);
    if (!Number.isFinite(linear)) return false;
    if (Math.abs(srgbEncode(linear) * 255 - level) > curveToleranceLevels) return false;
  }
  return true;
}

/** sRGB's transfer function, linear light → encoded value (IEC 61966-2-1). */
function srgbEncode(linear: number): number {
  const v = Math.min(1, Math.max(0, linear));
  return v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}
