import { deflateSync } from "node:zlib";

/**
 * Builders of small, byte-exact image containers for the tests (PNG chunks, JPEG segments, WebP
 * chunks, TIFF/EXIF directories). They write what a test asks for, lying lengths included.
 */

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk; `declaredLength` overrides the true length (to lie). */
export function pngChunk(type: string, data: Uint8Array, declaredLength = data.length): Uint8Array {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(declaredLength >>> 0, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A 1×1 grey PNG with `chunks` between IHDR and IDAT. */
export function buildPng(chunks: Uint8Array[], { end = true }: { end?: boolean } = {}): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const idat = deflateSync(Buffer.from([0, 128]));
  return Buffer.concat([
    Buffer.from("\x89PNG\r\n\x1a\n", "latin1"),
    pngChunk("IHDR", ihdr),
    ...chunks,
    pngChunk("IDAT", idat),
    ...(end ? [pngChunk("IEND", new Uint8Array(0))] : []),
  ]);
}

/** tEXt: keyword, NUL, Latin-1 text. */
export function textChunk(key: string, value: string): Uint8Array {
  return pngChunk(
    "tEXt",
    Buffer.concat([Buffer.from(key, "latin1"), Buffer.from([0]), Buffer.from(value, "latin1")]),
  );
}

/** zTXt: keyword, NUL, method 0, zlib data (`compressed` overrides the data). */
export function ztxtChunk(key: string, value: string, compressed?: Uint8Array): Uint8Array {
  const data = compressed ?? deflateSync(Buffer.from(value, "latin1"));
  return pngChunk("zTXt", Buffer.concat([Buffer.from(key, "latin1"), Buffer.from([0, 0]), data]));
}

/** iTXt: keyword, NUL, flag, method, language, NUL, translated keyword, NUL, UTF-8 text. */
export function itxtChunk(
  key: string,
  value: string,
  { compress = false, compressed }: { compress?: boolean; compressed?: Uint8Array } = {},
): Uint8Array {
  const text =
    compressed ?? (compress ? deflateSync(Buffer.from(value, "utf8")) : Buffer.from(value, "utf8"));
  const flag = compress || compressed !== undefined ? 1 : 0;
  return pngChunk(
    "iTXt",
    Buffer.concat([
      Buffer.from(key, "latin1"),
      Buffer.from([0, flag, 0]),
      Buffer.from("en\0\0", "latin1"),
      text,
    ]),
  );
}

/** One JPEG marker segment (`declaredLength` overrides the length field). */
export function jpegSegment(
  marker: number,
  payload: Uint8Array,
  declaredLength = payload.length + 2,
): Uint8Array {
  const out = Buffer.alloc(4 + payload.length);
  out[0] = 0xff;
  out[1] = marker;
  out.writeUInt16BE(declaredLength & 0xffff, 2);
  out.set(payload, 4);
  return out;
}

/** SOI, the segments, then a minimal SOS and EOI (no decodable image: metadata tests only). */
export function buildJpeg(segments: Uint8Array[]): Uint8Array {
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    ...segments,
    Buffer.from([0xff, 0xda, 0x00, 0x02, 0x00, 0xff, 0xd9]),
  ]);
}

/** APP1 EXIF segment around a TIFF block. */
export function exifSegment(tiff: Uint8Array): Uint8Array {
  return jpegSegment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]));
}

/** APP1 XMP segment. */
export function xmpSegment(xmp: string): Uint8Array {
  return jpegSegment(
    0xe1,
    Buffer.concat([Buffer.from("http://ns.adobe.com/xap/1.0/\0", "latin1"), Buffer.from(xmp, "utf8")]),
  );
}

/** A WebP with a placeholder VP8L chunk and extra chunks (`[fourcc, data]`). */
export function buildWebp(chunks: [string, Uint8Array][]): Uint8Array {
  const body: Buffer[] = [Buffer.from("WEBP", "latin1")];
  // A placeholder image chunk: these tests read metadata, never pixels.
  const vp8l = Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x00, 0x88, 0x88, 0x08, 0x00]);
  for (const [type, data] of [["VP8L", vp8l] as [string, Uint8Array], ...chunks]) {
    const header = Buffer.alloc(8);
    header.write(type, 0, "latin1");
    header.writeUInt32LE(data.length, 4);
    body.push(header, Buffer.from(data));
    if (data.length & 1) body.push(Buffer.from([0]));
  }
  const all = Buffer.concat(body);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(all.length, 4);
  return Buffer.concat([riff, all]);
}

/** A TIFF directory entry: tag, type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 7 UNDEFINED), count, value bytes. */
export interface TiffEntry {
  tag: number;
  type: number;
  count: number;
  value: Uint8Array;
}

export const ascii = (tag: number, text: string): TiffEntry => {
  const value = Buffer.from(`${text}\0`, "latin1");
  return { tag, type: 2, count: value.length, value };
};

export const rational = (tag: number, numerator: number, denominator: number): TiffEntry => {
  const value = Buffer.alloc(8);
  value.writeUInt32LE(numerator, 0);
  value.writeUInt32LE(denominator, 4);
  return { tag, type: 5, count: 1, value };
};

export const short = (tag: number, n: number): TiffEntry => {
  const value = Buffer.alloc(4);
  value.writeUInt16LE(n, 0);
  return { tag, type: 3, count: 1, value };
};

export const undefinedBytes = (tag: number, bytes: Uint8Array): TiffEntry => ({
  tag,
  type: 7,
  count: bytes.length,
  value: bytes,
});

/**
 * A little-endian TIFF block: IFD0 with `ifd0` entries and a pointer to an EXIF IFD with `exif`
 * entries. `loop` makes IFD0's next-IFD pointer and the EXIF pointer point back at IFD0.
 */
export function buildTiff(
  ifd0: TiffEntry[],
  exif: TiffEntry[] = [],
  { loop = false }: { loop?: boolean } = {},
): Uint8Array {
  const buffer = Buffer.alloc(65536);
  buffer.write("II", 0, "latin1");
  buffer.writeUInt16LE(42, 2);
  buffer.writeUInt32LE(8, 4);
  let data = 4096;
  const writeIfd = (at: number, entries: TiffEntry[], next: number): void => {
    const sorted = [...entries].sort((a, b) => a.tag - b.tag);
    buffer.writeUInt16LE(sorted.length, at);
    sorted.forEach((entry, i) => {
      const e = at + 2 + i * 12;
      buffer.writeUInt16LE(entry.tag, e);
      buffer.writeUInt16LE(entry.type, e + 2);
      buffer.writeUInt32LE(entry.count, e + 4);
      if (entry.value.length <= 4) buffer.set(entry.value, e + 8);
      else {
        buffer.set(entry.value, data);
        buffer.writeUInt32LE(data, e + 8);
        data += entry.value.length + (entry.value.length & 1);
      }
    });
    buffer.writeUInt32LE(next, at + 2 + sorted.length * 12);
  };
  const exifAt = 2048;
  const exifPointer: TiffEntry = {
    tag: 0x8769,
    type: 4,
    count: 1,
    value: Buffer.from(Uint32Array.of(loop ? 8 : exifAt).buffer),
  };
  writeIfd(8, exif.length > 0 || loop ? [...ifd0, exifPointer] : ifd0, loop ? 8 : 0);
  if (exif.length > 0) writeIfd(exifAt, exif, 0);
  return new Uint8Array(buffer.subarray(0, data));
}

/** An XMP packet with `properties` (raw RDF attribute or element text) in one rdf:Description. */
export function xmpPacket(attributes: string, elements = ""): string {
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" ${attributes}>${elements}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
}
