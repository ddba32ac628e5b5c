import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { isSrgbProfile } from "./icc-profile.js";

/** The profile sharp embeds for one of its built-in names ("srgb", "p3", "cmyk"). */
async function builtInProfile(name: string): Promise<Uint8Array> {
  const pixels = Buffer.alloc(8 * 8 * 3, 128);
  const jpeg = await sharp(pixels, { raw: { width: 8, height: 8, channels: 3 } })
    .withIccProfile(name)
    .jpeg()
    .toBuffer();
  const { icc } = await sharp(jpeg).metadata();
  if (!icc) throw new Error(`sharp embedded no ${name} profile`);
  return icc;
}

const s15 = (v: number) => Math.round(v * 65536);
const srgbPrimaries = {
  rXYZ: [0.436066, 0.222488, 0.013916],
  gXYZ: [0.385147, 0.716873, 0.097076],
  bXYZ: [0.143066, 0.060608, 0.714096],
};
// Adobe RGB (1998), D50-adapted: same white, wider green.
const adobePrimaries = {
  rXYZ: [0.60974, 0.31111, 0.01947],
  gXYZ: [0.20528, 0.62567, 0.06087],
  bXYZ: [0.14919, 0.06322, 0.74457],
};

function xyzTag([x, y, z]: number[]): Buffer {
  const tag = Buffer.alloc(20);
  tag.write("XYZ ", 0, "latin1");
  [x!, y!, z!].forEach((v, i) => tag.writeInt32BE(s15(v), 8 + i * 4));
  return tag;
}

/** parametricCurveType 3 with sRGB's parameters (what most v4 sRGB profiles store). */
function srgbParametricCurve(): Buffer {
  const params = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045];
  const tag = Buffer.alloc(12 + params.length * 4);
  tag.write("para", 0, "latin1");
  tag.writeUInt16BE(3, 8);
  params.forEach((v, i) => tag.writeInt32BE(s15(v), 12 + i * 4));
  return tag;
}

/** curveType with a sampled table of `entries` values of `f` (what HP's v2 sRGB profile stores). */
function tableCurve(entries: number, f: (x: number) => number): Buffer {
  const tag = Buffer.alloc(12 + entries * 2);
  tag.write("curv", 0, "latin1");
  tag.writeUInt32BE(entries, 8);
  for (let i = 0; i < entries; i++) tag.writeUInt16BE(Math.round(f(i / (entries - 1)) * 65535), 12 + i * 2);
  return tag;
}

function gammaCurve(gamma: number): Buffer {
  const tag = Buffer.alloc(14);
  tag.write("curv", 0, "latin1");
  tag.writeUInt32BE(1, 8);
  tag.writeUInt16BE(Math.round(gamma * 256), 12);
  return tag;
}

const srgbDecode = (x: number) => (x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);

/** An ICC profile of the given tags (header fields our check reads, tag table, tag data). */
function profile(tags: Record<string, Buffer>, colourSpace = "RGB "): Uint8Array {
  const entries = Object.entries(tags);
  let offset = 132 + entries.length * 12;
  const table = Buffer.alloc(4 + entries.length * 12);
  table.writeUInt32BE(entries.length, 0);
  const data: Buffer[] = [];
  entries.forEach(([sig, body], i) => {
    table.write(sig, 4 + i * 12, "latin1");
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(body.length, 12 + i * 12);
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    data.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.write("mntr", 12, "latin1");
  header.write(colourSpace, 16, "latin1");
  header.write("XYZ ", 20, "latin1");
  header.write("acsp", 36, "latin1");
  return new Uint8Array(Buffer.concat([header, table, ...data]));
}

function matrixProfile(
  primaries: Record<string, number[]>,
  curve: Buffer,
  extra: Record<string, Buffer> = {},
) {
  return profile({
    rXYZ: xyzTag(primaries.rXYZ!),
    gXYZ: xyzTag(primaries.gXYZ!),
    bXYZ: xyzTag(primaries.bXYZ!),
    rTRC: curve,
    gTRC: curve,
    bTRC: curve,
    ...extra,
  });
}

describe("isSrgbProfile", () => {
  it("recognises sRGB profiles however they store the curve", async () => {
    expect(isSrgbProfile(await builtInProfile("srgb"))).toBe(true);
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, srgbParametricCurve()))).toBe(true);
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, tableCurve(1024, srgbDecode)))).toBe(true);
  });

  it("refuses other primaries and other tone curves, which do need converting", async () => {
    expect(isSrgbProfile(await builtInProfile("p3"))).toBe(false);
    expect(isSrgbProfile(matrixProfile(adobePrimaries, srgbParametricCurve()))).toBe(false);
    // Gamma 2.2 is close to sRGB's curve in the mid-tones but several levels off in the shadows.
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, gammaCurve(2.2)))).toBe(false);
    expect(
      isSrgbProfile(
        matrixProfile(
          srgbPrimaries,
          tableCurve(2, (x) => x),
        ),
      ),
    ).toBe(false);
  });

  it("refuses LUT-based and non-RGB profiles, whose lookup tables a CMM would use instead of the matrix", async () => {
    expect(isSrgbProfile(await builtInProfile("cmyk"))).toBe(false);
    const lut = Buffer.alloc(32);
    lut.write("mft2", 0, "latin1");
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, srgbParametricCurve(), { A2B0: lut }))).toBe(false);
    const grey = profile({ kTRC: srgbParametricCurve() }, "GRAY");
    expect(isSrgbProfile(grey)).toBe(false);
  });

  it("answers false, without throwing, for malformed profiles", () => {
    const good = matrixProfile(srgbPrimaries, srgbParametricCurve());
    expect(isSrgbProfile(good.subarray(0, good.length - 8))).toBe(false); // a tag runs past the end
    expect(isSrgbProfile(good.subarray(0, 100))).toBe(false); // shorter than the header
    const hugeCount = Uint8Array.from(good);
    new DataView(hugeCount.buffer).setUint32(128, 0xffffffff);
    expect(isSrgbProfile(hugeCount)).toBe(false);
    const shortCurve = Buffer.from(srgbParametricCurve().subarray(0, 16)); // 5 parameters promised, 1 given
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, shortCurve))).toBe(false);
    const unknownType = Buffer.alloc(12);
    unknownType.write("xxxx", 0, "latin1");
    expect(isSrgbProfile(matrixProfile(srgbPrimaries, unknownType))).toBe(false);
    expect(isSrgbProfile(new Uint8Array(0))).toBe(false);
  });
});
