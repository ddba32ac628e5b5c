/**
 * Hostile input: whatever the bytes, decodeImage returns a well-formed image or throws a
 * MirageError with a documented reason, within its time budget, and never crashes the process.
 * A native crash (libvips aborting) kills the test worker, which fails the run.
 */
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import sharp from "sharp";
import { readFileSync } from "node:fs";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage, type DecodeLimits } from "./index.js";
import {
  concat,
  lyingTiff,
  encoded,
  expectImageOrTypedError,
  pngChunk,
  pngIhdr,
  pngSignature,
  withChunkAfterIhdr,
  withJpegSize,
  withTiffIfdLoop,
} from "./testing/images.js";

// Generous: a hang is caught by the library's own deadline (decode-timeout, an allowed outcome)
// well before vitest's per-test timeout would fire.
const limits: Partial<DecodeLimits> = { timeoutMs: 5_000 };

async function outcome(bytes: Uint8Array, lim: Partial<DecodeLimits> = limits) {
  return expectImageOrTypedError(await decodeImage(bytes, lim).catch((error: unknown) => error));
}

const formats = ["jpeg", "png", "webp", "gif", "tiff", "avif"] as const;
type Format = (typeof formats)[number];
const valid = {} as Record<Format, Uint8Array>;

beforeAll(async () => {
  for (const format of formats) valid[format] = await encoded(format, 24, 16);
});

describe("random and mutated bytes", () => {
  it("survives random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2048 }), async (bytes) => {
        await outcome(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("survives random bytes behind a valid signature", async () => {
    const signatures = [
      [0xff, 0xd8, 0xff],
      [...pngSignature],
      [...Buffer.from("RIFF\0\0\0\0WEBPVP8 ")],
      [...Buffer.from("GIF89a")],
      [0x49, 0x49, 0x2a, 0x00],
      [0x4d, 0x4d, 0x00, 0x2a],
      [...Buffer.from("\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf")],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...signatures),
        fc.uint8Array({ maxLength: 1024 }),
        async (signature, tail) => {
          await outcome(concat(new Uint8Array(signature), tail));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("survives byte flips in valid files", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...formats),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (format, flips) => {
          const bytes = new Uint8Array(valid[format]);
          for (const [at, mask] of flips) bytes[at % bytes.length] ^= mask;
          await outcome(bytes);
        },
      ),
      { numRuns: 250 },
    );
  });
});

describe("every prefix of a valid file", () => {
  it.each(["jpeg", "png", "webp", "gif"] as const)(
    "%s: every truncation is an image or a typed error",
    async (format) => {
      const file = valid[format];
      let refused = 0;
      for (let length = 0; length < file.length; length++) {
        if ((await outcome(file.subarray(0, length))) !== "image") refused++;
      }
      // Most truncations lose pixel data and must be refused, not decoded as grey.
      expect(refused).toBeGreaterThan(file.length * 0.9);
    },
  );
});

describe("lying headers", () => {
  it("PNG IHDR claiming 100000×100000 with a valid CRC", async () => {
    const png = concat(
      pngSignature,
      pngIhdr(100_000, 100_000),
      pngChunk("IDAT", deflateSync(new Uint8Array(100))),
      pngChunk("IEND", new Uint8Array()),
    );
    expect(await outcome(png)).toMatchObject({ reason: "image-too-many-pixels" });
  });

  it("JPEG SOF claiming 65500×65500", async () => {
    expect(await outcome(withJpegSize(valid.jpeg, 65_500, 65_500))).toMatchObject({
      reason: "image-too-many-pixels",
    });
  });

  it("JPEG SOF claiming a size within the limits that the data does not fill", async () => {
    await outcome(withJpegSize(valid.jpeg, 4000, 3000));
  });

  it("GIF with a 65535×65535 logical screen", async () => {
    const gif = new Uint8Array(valid.gif);
    new DataView(gif.buffer).setUint16(6, 65_535, true);
    new DataView(gif.buffer).setUint16(8, 65_535, true);
    await outcome(gif);
  });

  it("TIFF claiming 1000000×1000000", async () => {
    expect(await outcome(lyingTiff(1_000_000, 1_000_000))).toMatchObject({ reason: "image-too-many-pixels" });
  });

  it("TIFF claiming 4000×3000 with 64 bytes of pixels", async () => {
    await outcome(lyingTiff(4000, 3000));
  });

  it("TIFF whose IFD chain points to itself", async () => {
    const tiff = await sharp(valid.png).tiff({ compression: "none" }).toBuffer();
    await outcome(withTiffIfdLoop(tiff));
  });
});

describe("giant and repeated metadata", () => {
  it("PNG with a 20 MB tEXt chunk, when maxBytes allows it", async () => {
    const text = pngChunk(
      "tEXt",
      concat(Buffer.from("Comment\0"), new Uint8Array(20 * 1024 * 1024).fill(0x41)),
    );
    expect(
      await outcome(withChunkAfterIhdr(valid.png, text), { ...limits, maxBytes: 30 * 1024 * 1024 }),
    ).toBe("image");
  });

  it("JPEG with 2000 APP segments", async () => {
    const segment = concat(new Uint8Array([0xff, 0xe9, 0x04, 0x02]), new Uint8Array(1024).fill(0x20));
    const jpeg = concat(
      valid.jpeg.subarray(0, 2),
      ...Array.from({ length: 2000 }, () => segment),
      valid.jpeg.subarray(2),
    );
    expect(await outcome(jpeg)).toBe("image");
  });

  it("PNG with 10000 small ancillary chunks", async () => {
    const chunk = pngChunk("zzZz", new Uint8Array(16));
    expect(
      await outcome(withChunkAfterIhdr(valid.png, concat(...Array.from({ length: 10_000 }, () => chunk)))),
    ).toBe("image");
  });
});

describe.skipIf(!sharedAvailable("fixtures/c2pa"))("the 10-bit AVIF fallback decoder", () => {
  // Each case spawns a worker running libavif in WebAssembly (~0.3–1 s): few runs.
  const avif = (): Uint8Array => new Uint8Array(readFileSync(sharedPath("fixtures", "c2pa", "sample1.avif")));

  it("survives truncation and corruption of the coded data", async () => {
    const file = avif();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: file.length - 1 }),
        fc.integer({ min: 400, max: file.length - 1 }),
        async (length, flipAt) => {
          await outcome(file.subarray(0, length));
          const corrupt = new Uint8Array(file);
          corrupt[flipAt] ^= 0x5a;
          await outcome(corrupt);
        },
      ),
      { numRuns: 4 },
    );
  });
});
