import { isMirageError } from "@mirage/errors";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import {
  applyPerturbation,
  decodeImage,
  encodeJpeg,
  encodePng,
  extraPerturbationNames,
  parsePerturbationSpec,
  perturbationNames,
  pixelsOnly,
  type PerturbationName,
} from "./index.js";
import { fromPixels, pattern } from "./testing/images.js";

const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>`;

/** A 1200×800 JPEG carrying EXIF (orientation 6, so it displays as 800×1200), a P3 ICC profile and XMP. */
let source: Uint8Array;

beforeAll(async () => {
  source = await fromPixels(pattern(1200, 800))
    .jpeg({ quality: 92 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Copyright: "someone", Software: "a generator" } })
    .withIccProfile("p3")
    .withXmp(xmp)
    .toBuffer();
  const meta = await sharp(source).metadata();
  // The premise of the metadata tests: the input really carries all of it.
  expect(meta.exif).toBeDefined();
  expect(meta.icc).toBeDefined();
  expect(meta.xmp).toBeDefined();
  expect(meta.orientation).toBe(6);
});

async function expectNoMetadata(bytes: Uint8Array): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect(meta.exif).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.iptc).toBeUndefined();
  expect(meta.comments).toBeUndefined();
  expect(meta.orientation).toBeUndefined();
}

// Displayed size of the source: 800×1200.
const expected: Record<PerturbationName, { format: "jpeg" | "png"; width: number; height: number }> = {
  jpeg75: { format: "jpeg", width: 800, height: 1200 },
  jpeg50: { format: "jpeg", width: 800, height: 1200 },
  resize50: { format: "png", width: 400, height: 600 },
  upscale2x: { format: "png", width: 1600, height: 2400 },
  crop512: { format: "png", width: 512, height: 512 },
  blur1: { format: "png", width: 800, height: 1200 },
  sharpen: { format: "png", width: 800, height: 1200 },
  screenshot: { format: "png", width: 640, height: 960 },
  social: { format: "jpeg", width: 720, height: 1080 },
  grayscale: { format: "png", width: 800, height: 1200 },
  whitebg: { format: "png", width: 800, height: 1200 },
};

describe("applyPerturbation", () => {
  it("names exactly the protocol's perturbations, and the extras apart from them", () => {
    expect([...perturbationNames, ...extraPerturbationNames].sort()).toEqual(Object.keys(expected).sort());
    // The extras probe weak spots; `--perturb all` (the protocol's list) must never include them.
    for (const extra of extraPerturbationNames) expect(perturbationNames).not.toContain(extra);
  });

  it.each([...perturbationNames, ...extraPerturbationNames])(
    "%s gives decodable output of the expected size with no metadata",
    async (name) => {
      const out = await applyPerturbation(source, name);
      const image = await decodeImage(out);
      expect({ format: image.format, width: image.width, height: image.height }).toEqual(expected[name]);
      await expectNoMetadata(out);
    },
  );

  it("changes the pixels the way each step says", async () => {
    const original = await decodeImage(source);
    const lossless = await decodeImage(await applyPerturbation(source, "crop512"));
    // crop512 is exact: the centre of the original, pixel for pixel.
    const left = (original.width - 512) / 2;
    const top = (original.height - 512) / 2;
    for (const [x, y] of [
      [0, 0],
      [511, 511],
      [100, 300],
    ] as const) {
      const a = ((top + y) * original.width + left + x) * 3;
      const b = (y * 512 + x) * 3;
      expect([...lossless.data.subarray(b, b + 3)]).toEqual([...original.data.subarray(a, a + 3)]);
    }
    const blurred = await decodeImage(await applyPerturbation(source, "blur1"));
    expect(Buffer.from(blurred.data).equals(Buffer.from(original.data))).toBe(false);
  });

  it("grayscale leaves one grey level per pixel; whitebg makes near-white pure white and keeps the rest", async () => {
    const grey = await decodeImage(await applyPerturbation(source, "grayscale"));
    for (let i = 0; i < grey.data.length; i += 3) {
      expect(grey.data[i + 1]).toBe(grey.data[i]);
      expect(grey.data[i + 2]).toBe(grey.data[i]);
    }
    const studio = fromPixels({
      width: 4,
      height: 1,
      channels: 3,
      format: "png",
      data: Uint8Array.from([236, 240, 250, 235, 250, 250, 255, 255, 255, 90, 200, 240]),
    });
    const white = await decodeImage(await applyPerturbation(await studio.png().toBuffer(), "whitebg"));
    expect([...white.data]).toEqual([255, 255, 255, 235, 250, 250, 255, 255, 255, 90, 200, 240]);
  });

  it("chains steps joined by +, in order", async () => {
    const out = await applyPerturbation(source, "resize50+jpeg75");
    expect(await sharp(out).metadata()).toMatchObject({ format: "jpeg", width: 400, height: 600 });
    const chained = await applyPerturbation(source, " crop512 + resize50 + social ");
    expect(await sharp(chained).metadata()).toMatchObject({ format: "jpeg", width: 256, height: 256 });
    await expectNoMetadata(chained);
  });

  it("gives the same bytes for the same input", async () => {
    for (const spec of ["social", "blur1+jpeg50", "sharpen+screenshot"]) {
      const a = await applyPerturbation(source, spec);
      const b = await applyPerturbation(source, spec);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
  });

  it("keeps small images whole: crop512 and social never enlarge", async () => {
    const small = await encodePng(pattern(300, 200));
    expect(await sharp(await applyPerturbation(small, "crop512")).metadata()).toMatchObject({
      width: 300,
      height: 200,
    });
    expect(await sharp(await applyPerturbation(small, "social")).metadata()).toMatchObject({
      width: 300,
      height: 200,
    });
  });

  it("refuses an upscale whose output would break the limits", async () => {
    const error = await applyPerturbation(source, "upscale2x", { maxPixels: 2_000_000 }).catch(
      (e: unknown) => e,
    );
    expect(isMirageError(error) && error.reason).toBe("image-too-many-pixels");
  });

  it.each(["", "jpeg80", "resize50+", "resize50+blur2", "JPEG75"])(
    "refuses the unknown spec %j",
    async (spec) => {
      const error = await applyPerturbation(source, spec).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: "INVALID_ARGUMENT",
        reason: "unknown-perturbation",
        details: { spec },
      });
    },
  );

  it("parses a spec into its steps", () => {
    expect(parsePerturbationSpec("resize50+jpeg75")).toEqual(["resize50", "jpeg75"]);
  });
});

describe("pixelsOnly", () => {
  it("re-encodes as baseline JPEG 90, 4:2:0, orientation applied, no metadata", async () => {
    const out = await pixelsOnly(source);
    const meta = await sharp(out).metadata();
    expect(meta).toMatchObject({
      format: "jpeg",
      width: 800,
      height: 1200,
      chromaSubsampling: "4:2:0",
      isProgressive: false,
    });
    await expectNoMetadata(out);
  });

  it("treats a PNG the same way as a JPEG", async () => {
    const png = await encodePng(pattern(64, 48));
    const out = await pixelsOnly(png);
    expect(await sharp(out).metadata()).toMatchObject({ format: "jpeg", width: 64, height: 48 });
    // Same pixels in, same bytes out, whatever the container was.
    const viaJpegHelper = await encodeJpeg(await decodeImage(png), 90);
    expect(Buffer.from(out).equals(Buffer.from(viaJpegHelper))).toBe(true);
  });
});

describe("encodeJpeg / encodePng", () => {
  it("round-trips PNG exactly", async () => {
    const image = pattern(33, 17);
    const decoded = await decodeImage(await encodePng(image));
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it("refuses a JPEG quality outside 1..100", async () => {
    const error = await encodeJpeg(pattern(8, 8), 0).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", reason: "invalid-jpeg-quality" });
  });
});
