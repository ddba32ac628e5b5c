import { encodeJpeg, encodePng, type DecodedImage } from "@mirage/imaging";
import { describe, expect, it } from "vitest";
import { isJpegSignature, readJpegMarkers, subsamplingOf, zigzag, type JpegFrame } from "./jpeg-markers.js";
import { ijgChrominance, ijgLuminance, ijgTable } from "./jpeg-tables.js";

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));

/** A marker segment: 0xFF, marker, 2-byte length (counting itself), body. */
function segment(marker: number, body: number[]): number[] {
  const length = body.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...body];
}

/** A TIFF structure (big-endian) whose IFD0 holds one Orientation entry. */
function exifOrientation(orientation: number): number[] {
  return [
    ...ascii("Exif\0\0"),
    ...[0x4d, 0x4d, 0, 42, 0, 0, 0, 8],
    ...[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0],
    ...[0, 0, 0, 0],
  ];
}

/**
 * A hand-made progressive JPEG: every application segment this module knows, an 8-bit table 0
 * whose zig-zag entries are 1..64, a 16-bit table 3, 4:2:2 sampling, and scan data holding a
 * stuffed byte and a restart marker.
 */
function handMadeJpeg(): Uint8Array {
  const table8 = Array.from({ length: 64 }, (_, k) => k + 1);
  const table16 = Array.from({ length: 64 }, (_, k) => [1, k]).flat(); // 256 + k, big-endian
  return new Uint8Array([
    0xff,
    0xd8,
    ...segment(0xe0, [...ascii("JFIF\0"), 1, 2, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xe1, exifOrientation(6)),
    ...segment(0xe1, ascii("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>")),
    ...segment(0xe2, [...ascii("ICC_PROFILE\0"), 1, 1, 0, 0]),
    ...segment(0xe2, [...ascii("MPF\0"), 0, 0]),
    ...segment(0xed, [...ascii("Photoshop 3.0\0"), 0]),
    ...segment(0xee, [...ascii("Adobe"), 0, 100, 0, 0, 0, 0, 1]),
    0xff, // a fill byte before the next marker is allowed
    ...segment(0xdb, [0x00, ...table8, 0x13, ...table16]),
    ...segment(0xc2, [8, 0, 16, 0, 24, 3, 1, 0x21, 0, 2, 0x11, 3, 3, 0x11, 3]),
    ...segment(0xc4, [0x00, ...Array<number>(16).fill(0)]),
    ...segment(0xda, [3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]),
    ...[0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56],
    ...segment(0xda, [1, 1, 0, 1, 63, 0x10]),
    ...[0x78],
    0xff,
    0xd9,
  ]);
}

/** A textured RGB image: a gradient plus deterministic noise, so that every coefficient is used. */
function texturedImage(width: number, height: number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const pixel = Math.floor(i / 3);
    data[i] = ((pixel % width) + Math.floor(pixel / width) + (seed >>> 26)) & 0xff;
  }
  return { data, width, height, channels: 3, format: "png" };
}

describe("readJpegMarkers", () => {
  it("returns null for what is not a JPEG", async () => {
    expect(readJpegMarkers(new Uint8Array())).toBeNull();
    expect(readJpegMarkers(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(readJpegMarkers(await encodePng(texturedImage(16, 16)))).toBeNull();
    expect(isJpegSignature(new Uint8Array([0xff, 0xd8, 0xff]))).toBe(true);
  });

  it("reads every segment of a hand-made progressive JPEG", () => {
    const markers = readJpegMarkers(handMadeJpeg())!;
    expect(markers.problem).toBeNull();
    expect(markers.app).toEqual({
      jfif: true,
      exif: true,
      xmp: true,
      icc: true,
      mpf: true,
      photoshop: true,
      adobe: true,
    });
    expect(markers.orientation).toBe(6);
    expect(markers.adobeTransform).toBe(1);
    // Zig-zag entry k held k + 1: in natural order, position zigzag[k] holds k + 1.
    const natural = markers.tables[0]!;
    for (let k = 0; k < 64; k++) expect(natural[zigzag[k]!]).toBe(k + 1);
    expect(Array.from(natural.slice(0, 8))).toEqual([1, 2, 6, 7, 15, 16, 28, 29]);
    expect(markers.tables[3]![zigzag[63]!]).toBe(256 + 63);
    expect(markers.tablePrecision).toEqual([8, undefined, undefined, 16]);
    expect(markers.tables[1]).toBeUndefined();
    expect(markers.frame).toEqual({
      coding: "progressive",
      precision: 8,
      width: 24,
      height: 16,
      components: [
        { id: 1, h: 2, v: 1, table: 0 },
        { id: 2, h: 1, v: 1, table: 3 },
        { id: 3, h: 1, v: 1, table: 3 },
      ],
    });
    expect(subsamplingOf(markers.frame!)).toBe("4:2:2");
  });

  it("reads libjpeg's own output: IJG tables, baseline, 4:2:0", async () => {
    const bytes = await encodeJpeg(texturedImage(64, 48), 75);
    const markers = readJpegMarkers(bytes)!;
    expect(markers.problem).toBeNull();
    expect(markers.frame!.coding).toBe("baseline");
    expect(subsamplingOf(markers.frame!)).toBe("4:2:0");
    expect([markers.frame!.width, markers.frame!.height]).toEqual([64, 48]);
    expect(Array.from(markers.tables[0]!)).toEqual(Array.from(ijgTable(ijgLuminance, 75)));
    expect(Array.from(markers.tables[1]!)).toEqual(Array.from(ijgTable(ijgChrominance, 75)));
    expect(markers.orientation).toBe(1);
  });

  it("names every subsampling", () => {
    const frame = (...hv: Array<[number, number]>): JpegFrame => ({
      coding: "baseline",
      precision: 8,
      width: 8,
      height: 8,
      components: hv.map(([h, v], id) => ({ id, h, v, table: 0 })),
    });
    expect(subsamplingOf(frame([1, 1], [1, 1], [1, 1]))).toBe("4:4:4");
    expect(subsamplingOf(frame([2, 2], [1, 1], [1, 1]))).toBe("4:2:0");
    expect(subsamplingOf(frame([1, 2], [1, 1], [1, 1]))).toBe("4:4:0");
    expect(subsamplingOf(frame([4, 1], [1, 1], [1, 1]))).toBe("4:1:1");
    expect(subsamplingOf(frame([1, 1]))).toBe("grey");
    expect(subsamplingOf(frame([1, 1], [1, 1], [1, 1], [1, 1]))).toBe("other");
    expect(subsamplingOf(frame([2, 2], [2, 1], [1, 1]))).toBe("other");
  });

  it("reports a file cut at any byte as truncated, keeping what came before, and never throws", async () => {
    const bytes = await encodeJpeg(texturedImage(64, 48), 90);
    const firstScan = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xda);
    for (let end = 3; end < bytes.length; end += end < firstScan + 32 ? 1 : 97) {
      const markers = readJpegMarkers(bytes.subarray(0, end))!;
      expect(markers.problem, `cut at ${end}`).toMatch(/^(truncated|malformed): /);
    }
    const cutInScan = readJpegMarkers(bytes.subarray(0, bytes.length - 10))!;
    expect(cutInScan.problem).toMatch(/^truncated: the file ends at byte \d+ before its end-of-image marker/);
    expect(Array.from(cutInScan.tables[0]!)).toEqual(Array.from(ijgTable(ijgLuminance, 90)));
    expect(cutInScan.frame!.coding).toBe("baseline");
  });

  it("reports malformed quantisation tables and frame headers", () => {
    const bytes = handMadeJpeg();
    const dqt = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xdb);
    const corrupt = (at: number, value: number) => {
      const copy = bytes.slice();
      copy[at] = value;
      return readJpegMarkers(copy)!.problem;
    };
    expect(corrupt(dqt + 4, 0x20)).toMatch(
      /^malformed: the quantisation-table segment .* precision 2 and selector 0/,
    );
    expect(corrupt(dqt + 4, 0x05)).toMatch(/selector 5/);
    expect(corrupt(dqt + 5, 0)).toMatch(/^malformed: quantisation table 0 .* zero step \(coefficient 0\)/);
    expect(corrupt(dqt + 2, 0xff)).toMatch(/^truncated: the quantisation-table segment at byte \d+ declares/);
    expect(corrupt(dqt + 3, 0x50)).toMatch(/ends inside table 3|no marker at byte/);
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc2);
    expect(corrupt(sof + 9, 5)).toMatch(/^malformed: the frame header .* for 5 components/);
    expect(corrupt(sof + 11, 0x51)).toMatch(/component 0 of the frame header .* sampling 5×1/);
    const second = 2 + 4 + 14; // SOI, then the 18-byte APP0 segment
    expect(corrupt(second, 0x12)).toMatch(new RegExp(`^malformed: no marker at byte ${second}`));
    expect(corrupt(3, 0xd8)).toMatch(/second start-of-image/);
  });

  it("never throws on randomly damaged headers", () => {
    const bytes = handMadeJpeg();
    let seed = 7;
    const next = () => (seed = (seed * 1664525 + 1013904223) >>> 0);
    for (let trial = 0; trial < 2000; trial++) {
      const copy = bytes.slice();
      for (let flips = 1 + (next() % 4); flips > 0; flips--)
        copy[2 + (next() % (copy.length - 2))] = next() & 0xff;
      expect(() => readJpegMarkers(copy)).not.toThrow();
    }
  });
});
