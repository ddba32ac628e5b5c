import { readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { isMirageError, type MirageError } from "@mirage/errors";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage, defaultDecodeLimits, probeImage, type DecodedImage } from "./index.js";
import { Deadline } from "./internal/deadline.js";
import { readHeader } from "./probe.js";
import {
  concat,
  encoded,
  fromPixels,
  pattern,
  pngChunk,
  pngIhdr,
  pngSignature,
  solid,
  withChunkAfterIhdr,
  withJpegSize,
} from "./testing/images.js";

async function failure(work: Promise<unknown>): Promise<MirageError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMirageError(error)) throw new Error(`expected a MirageError, got ${String(error)}`);
  return error;
}

function pixel(image: DecodedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe("decodeImage: accepted formats", () => {
  const source = pattern(32, 24);

  it.each(["png", "tiff"] as const)("decodes lossless %s to the exact pixels", async (format) => {
    const image = await decodeImage(await encoded(format));
    expect(image).toMatchObject({ width: 32, height: 24, channels: 3, format });
    expect(Buffer.from(image.data).equals(Buffer.from(source.data))).toBe(true);
  });

  it.each(["jpeg", "webp", "avif", "gif"] as const)(
    "decodes lossy %s close to the source pixels",
    async (format) => {
      const image = await decodeImage(await encoded(format));
      expect(image).toMatchObject({ width: 32, height: 24, channels: 3, format });
      // The blue channel is noise that lossy codecs smear; the ramps survive. GIF is paletted.
      expect(meanAbsDiff(image.data, source.data)).toBeLessThan(format === "gif" ? 40 : 30);
      expect(pixel(image, 31, 23)[0]).toBeGreaterThan(200);
      expect(pixel(image, 0, 0)[0]).toBeLessThan(60);
    },
  );

  it("reduces 16-bit PNG to 8 bits", async () => {
    const png16 = await fromPixels(source).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");
    const image = await decodeImage(png16);
    expect(meanAbsDiff(image.data, source.data)).toBeLessThan(1);
  });

  it("expands greyscale to three equal channels", async () => {
    const grey = await fromPixels(source).greyscale().png().toBuffer();
    const image = await decodeImage(grey);
    const [r, g, b] = pixel(image, 10, 10);
    expect(r).toBe(g);
    expect(g).toBe(b);
  });

  it("converts CMYK JPEG to sRGB", async () => {
    const cmyk = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#d02010" } })
      .toColourspace("cmyk")
      .jpeg({ quality: 95 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const [r, g, b] = pixel(await decodeImage(cmyk), 8, 8);
    expect(r).toBeGreaterThan(170);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
  });

  it("converts a Display P3 JPEG to sRGB through its profile", async () => {
    const p3 = await solid(16, 16, "#ff0000", "jpeg").then((jpeg) =>
      sharp(jpeg).withIccProfile("p3").jpeg({ quality: 95 }).toBuffer(),
    );
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(stored[0]).toBeLessThan(245); // sRGB red sits inside P3's gamut: stored as ~(234, 51, 35)
    const [r, g, b] = pixel(await decodeImage(p3), 8, 8);
    expect(r).toBeGreaterThan(248);
    expect(g).toBeLessThan(12);
    expect(b).toBeLessThan(12);
  });

  it("gives the converted pixels for an sRGB-profiled JPEG without running the identity conversion", async () => {
    const tagged = await fromPixels(pattern(64, 48)).withIccProfile("srgb").jpeg({ quality: 90 }).toBuffer();
    const header = await readHeader(tagged, defaultDecodeLimits, new Deadline(defaultDecodeLimits.timeoutMs));
    expect(header.alreadySrgb).toBe(true);
    const converted = await sharp(tagged).toColourspace("srgb").raw().toBuffer();
    const image = await decodeImage(tagged);
    let worst = 0;
    for (let i = 0; i < converted.length; i++)
      worst = Math.max(worst, Math.abs(converted[i]! - image.data[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("converts whatever is not 8-bit sRGB: other profiles, and 16-bit samples under an sRGB profile", async () => {
    const read = (bytes: Uint8Array) =>
      readHeader(bytes, defaultDecodeLimits, new Deadline(defaultDecodeLimits.timeoutMs));
    const p3 = await fromPixels(source).withIccProfile("p3").jpeg().toBuffer();
    const png16 = await fromPixels(source).toColourspace("rgb16").withIccProfile("srgb").png().toBuffer();
    const untagged = await encoded("jpeg");
    expect((await sharp(png16).metadata()).icc).toBeDefined();
    for (const bytes of [p3, png16, untagged]) expect((await read(bytes)).alreadySrgb).toBe(false);
  });

  it("flattens alpha on white", async () => {
    // Left half transparent, right half black at 50% opacity.
    const rgba = new Uint8Array(4 * 2 * 4);
    for (let i = 0; i < 8; i++) rgba.set(i % 2 === 0 ? [0, 0, 0, 0] : [0, 0, 0, 128], i * 4);
    const png = await sharp(rgba, { raw: { width: 2, height: 4, channels: 4 } })
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expect(pixel(image, 0, 0)).toEqual([255, 255, 255]);
    for (const v of pixel(image, 1, 0)) expect(Math.abs(v - 127)).toBeLessThanOrEqual(1);
  });

  it("applies EXIF orientation 6: sides swap and the top-left corner goes to the top right", async () => {
    // 40×20 red with a blue 10×10 block in the top-left corner.
    const base = await sharp({ create: { width: 40, height: 20, channels: 3, background: "#ff0000" } })
      .composite([{ input: await solid(10, 10, "#0000ff"), left: 0, top: 0 }])
      .removeAlpha()
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const probe = await probeImage(base);
    expect(probe).toMatchObject({ width: 40, height: 20, orientation: 6 });
    const image = await decodeImage(base);
    expect([image.width, image.height]).toEqual([20, 40]);
    const [r, , b] = pixel(image, 17, 2);
    expect(b).toBeGreaterThan(200);
    expect(r).toBeLessThan(60);
    expect(pixel(image, 2, 2)[0]).toBeGreaterThan(200);
  });

  /** Noise, so that every pixel's place matters, 75 × 41 (no multiple of the copy's tiles), saved with an orientation. */
  const orientedNoise = (format: "jpeg" | "png" | "webp" | "tiff" | "avif", orientation: number) => {
    const width = 75;
    const height = 41;
    const noise = Uint8Array.from(
      { length: width * height * 3 },
      (_, i) => (i * 7919 + (i >> 3) * 104729) % 256,
    );
    const options =
      format === "jpeg" ? { quality: 95 } : format === "webp" || format === "avif" ? { lossless: true } : {};
    return sharp(noise, { raw: { width, height, channels: 3 } })
      .toFormat(format, options)
      .withMetadata({ orientation })
      .toBuffer();
  };
  const expectAutorotated = async (bytes: Buffer) => {
    const expected = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
    const image = await decodeImage(bytes);
    expect([image.width, image.height]).toEqual([expected.info.width, expected.info.height]);
    expect(Buffer.from(image.data).equals(expected.data)).toBe(true);
    return image;
  };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    "applies EXIF orientation %i exactly as libvips' autorotate does",
    async (orientation) => {
      await expectAutorotated(await orientedNoise("jpeg", orientation));
    },
  );

  it.each(["png", "webp", "tiff", "avif"] as const)(
    "turns a %s that carries orientation 6 as libvips' autorotate does (AVIF's irot by libheif, never twice)",
    async (format) => {
      const image = await expectAutorotated(await orientedNoise(format, 6));
      expect([image.width, image.height]).toEqual([41, 75]);
    },
  );

  it.each(["gif", "webp"] as const)("decodes only the first frame of an animated %s", async (format) => {
    const animated = await sharp([await solid(20, 10, "#ff0000"), await solid(20, 10, "#0000ff")], {
      join: { animated: true },
    })
      .toFormat(format)
      .toBuffer();
    expect(await probeImage(animated)).toMatchObject({ format, width: 20, height: 10, pages: 2 });
    const image = await decodeImage(animated);
    expect([image.width, image.height]).toEqual([20, 10]);
    const [r, , b] = pixel(image, 10, 5);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });
});

describe("probeImage", () => {
  it("reads the header only and reports format, size, pages, alpha and bytes", async () => {
    const png = await sharp({ create: { width: 7, height: 5, channels: 4, background: "#00000080" } })
      .png()
      .toBuffer();
    expect(await probeImage(png)).toEqual({
      format: "png",
      width: 7,
      height: 5,
      orientation: 1,
      pages: 1,
      hasAlpha: true,
      bytes: png.length,
    });
  });

  it("reports the dimensions a lying header declares in the error's details", async () => {
    const lying = concat(
      pngSignature,
      pngIhdr(100_000, 100_000),
      pngChunk("IDAT", deflateSync(new Uint8Array(64))),
      pngChunk("IEND", new Uint8Array()),
    );
    const error = await failure(probeImage(lying));
    expect(error).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "image-too-many-pixels",
      details: { format: "png", width: 100_000, height: 100_000 },
    });
  });
});

describe("decodeImage: refusals", () => {
  it("refuses empty input", async () => {
    expect(await failure(decodeImage(new Uint8Array()))).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "empty-image",
    });
  });

  it("refuses more bytes than maxBytes before looking at them", async () => {
    const error = await failure(decodeImage(new Uint8Array(2000), { maxBytes: 1000 }));
    expect(error).toMatchObject({ reason: "image-too-large", details: { bytes: 2000, limit: 1000 } });
  });

  it("refuses a decompression bomb from its header, before decoding", async () => {
    // 20000×20000 1-bit greyscale of zeros: 400 MP (1.2 GB once decoded to RGB) in a 50 kB file.
    const rows = new Uint8Array(20_000 * (1 + 20_000 / 8));
    const bomb = concat(
      pngSignature,
      pngIhdr(20_000, 20_000, 1, 0),
      pngChunk("IDAT", deflateSync(rows)),
      pngChunk("IEND", new Uint8Array()),
    );
    expect(bomb.length).toBeLessThan(100_000);
    const error = await failure(decodeImage(bomb, { maxDimension: 30_000 }));
    expect(error).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "image-too-many-pixels",
      details: {
        width: 20_000,
        height: 20_000,
        pixels: 400_000_000,
        limit: 64_000_000,
        limitName: "maxPixels",
      },
    });
    // Our header check answered, not libvips' own pixel limit inside the decoder.
    expect(error.message).toContain("refused before decoding");
  });

  it("refuses a side longer than maxDimension even when the pixel count fits", async () => {
    const error = await failure(decodeImage(await encoded("png", 300, 2), { maxDimension: 256 }));
    expect(error).toMatchObject({
      reason: "image-too-many-pixels",
      details: { width: 300, height: 2, limit: 256, limitName: "maxDimension" },
    });
  });

  it("refuses a JPEG whose SOF claims 65500×65500 (a size that crashes libvips when decoded)", async () => {
    const lying = withJpegSize(await encoded("jpeg", 16, 16), 65_500, 65_500);
    expect(await failure(decodeImage(lying))).toMatchObject({
      reason: "image-too-many-pixels",
      details: { width: 65_500, height: 65_500 },
    });
  });

  it.each([
    [
      "SVG",
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    ],
    ["SVG", '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'],
    ["PDF", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"],
    ["BMP", "BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"],
    ["PNM", "P6\n2 2\n255\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"],
  ])("refuses %s and says so", async (name, text) => {
    const error = await failure(decodeImage(Buffer.from(text, "latin1")));
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", reason: "unsupported-format" });
    expect(error.message).toContain(name);
  });

  it("refuses unrecognised bytes", async () => {
    expect(await failure(decodeImage(Buffer.from("hello, this is not an image")))).toMatchObject({
      reason: "unsupported-format",
    });
  });

  it("refuses a truncated JPEG and says what was wrong", async () => {
    const jpeg = await encoded("jpeg", 64, 48);
    const error = await failure(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.7))));
    expect(error).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "undecodable-image",
      details: { format: "jpeg", width: 64, height: 48 },
    });
    expect(error.message).toMatch(/truncated or corrupt/);
    expect(error.message).toMatch(/premature end/i);
  });

  it("refuses a PNG chunk whose CRC fails", async () => {
    const png = withChunkAfterIhdr(await encoded("png"), pngChunk("tEXt", Buffer.from("Comment\0hello")));
    png[45] = png[45]! ^ 0xff; // inside the tEXt data (type at 37..40, data from 41)
    const error = await failure(decodeImage(png));
    expect(error).toMatchObject({ reason: "undecodable-image", details: { format: "png" } });
    expect(error.message).toContain("tEXt chunk at byte 33 fails its CRC check");
  });

  it("stops at the deadline with DEADLINE_EXCEEDED", async () => {
    const large = await sharp({
      create: { width: 2000, height: 1500, channels: 3, noise: { type: "gaussian", mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    const error = await failure(decodeImage(large, { timeoutMs: 1 }));
    expect(error).toMatchObject({
      code: "DEADLINE_EXCEEDED",
      reason: "decode-timeout",
      details: { limit: 1 },
    });
  });

  it.each([{ maxPixels: 0 }, { maxBytes: -1 }, { timeoutMs: 1.5 }, { maxPixels: 2 ** 40 }])(
    "refuses invalid limits %o",
    async (limits) => {
      expect(await failure(decodeImage(await encoded("png"), limits))).toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "invalid-decode-limits",
      });
    },
  );
});

describe.skipIf(!sharedAvailable("fixtures/c2pa"))("decodeImage on the shared fixtures", () => {
  const read = (...parts: string[]) => new Uint8Array(readFileSync(sharedPath("fixtures", ...parts)));

  it.each([
    ["sample1.png", "png", 1024, 683],
    ["sample1.webp", "webp", 1050, 700],
    // 10-bit AVIF: sharp's prebuilt libaom is 8-bit only, so this goes through the libavif fallback.
    ["sample1.avif", "avif", 1204, 800],
    ["C.jpg", "jpeg", 2048, 1365],
    ["no_manifest.jpg", "jpeg", undefined, undefined],
    ["ocsp.jpg", "jpeg", undefined, undefined],
  ] as const)("decodes %s", async (file, format, width, height) => {
    const image = await decodeImage(read("c2pa", file));
    expect(image.format).toBe(format);
    if (width !== undefined) expect([image.width, image.height]).toEqual([width, height]);
    expect(image.data.length).toBe(image.width * image.height * 3);
    // A picture, not a flat buffer (a decoder that gave up would leave zeros or grey).
    const mean = image.data.reduce((sum, v) => sum + v, 0) / image.data.length;
    const variance = image.data.reduce((sum, v) => sum + (v - mean) ** 2, 0) / image.data.length;
    expect(Math.sqrt(variance)).toBeGreaterThan(10);
  });

  it("stops the 10-bit AVIF fallback decoder at the deadline", async () => {
    // The WebAssembly decode takes hundreds of milliseconds; its worker is terminated at 20 ms.
    const error = await failure(decodeImage(read("c2pa", "sample1.avif"), { timeoutMs: 20 }));
    expect(error).toMatchObject({
      code: "DEADLINE_EXCEEDED",
      reason: "decode-timeout",
      details: { format: "avif" },
    });
  });

  it("refuses HEIC with a clear unsupported-format error", async () => {
    const error = await failure(decodeImage(read("c2pa", "sample1.heic")));
    expect(error).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "unsupported-format",
      details: { format: "heic" },
    });
    expect(error.message).toMatch(/HEIC.*not supported/);
    expect(await failure(probeImage(read("c2pa", "sample1.heic")))).toMatchObject({
      reason: "unsupported-format",
    });
  });

  it.skipIf(!sharedAvailable("fixtures/malformed"))(
    "refuses the Exiv2 issue 828 PNG (a corrupt tEXt chunk) with a typed error",
    async () => {
      const error = await failure(decodeImage(read("malformed", "exiv2-issue-828-poc.png")));
      expect(error).toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "undecodable-image",
        details: { format: "png" },
      });
      expect(error.message).toContain("fails its CRC check");
    },
  );
});
