import { readFileSync } from "node:fs";
import { isMirageError } from "@mirage/errors";
import { decodeImage, encodeJpeg, encodePng, type DecodedImage } from "@mirage/imaging";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { beforeAll, describe, expect, it } from "vitest";
import { ghostThresholds } from "./jpeg-ghost.js";
import { readJpegHistory, type JpegHistory } from "./jpeg-history.js";

const dataset = "datasets/aigi-v1";
const read = (path: string) => new Uint8Array(readFileSync(sharedPath(dataset, path)));

/** Saves `image` as JPEG at each quality in turn, decoding in between, as re-uploads do. */
async function saveAs(image: DecodedImage, ...qualities: number[]) {
  let pixels = image;
  let bytes: Uint8Array = new Uint8Array();
  for (const quality of qualities) {
    bytes = await encodeJpeg(pixels, quality);
    pixels = await decodeImage(bytes);
  }
  return { bytes, image: pixels };
}

/**
 * A 2 × 2 box downscale: erases the photo's own JPEG history (its blocks no longer line up
 * with any 8-px grid, and averaging leaves no quantisation lattice), so that the saves the test
 * makes are the file's whole history.
 */
function halve(image: DecodedImage): DecodedImage {
  const width = image.width >> 1;
  const height = image.height >> 1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (dy: number, dx: number) => image.data[((2 * y + dy) * image.width + 2 * x + dx) * 3 + c]!;
        data[(y * width + x) * 3 + c] = Math.round((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4);
      }
    }
  }
  return { ...image, data, width, height };
}

function crop(image: DecodedImage, x0: number, y0: number, width: number, height: number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { ...image, data, width, height };
}

/** The JPEG with an APP1 Exif segment holding only an Orientation tag, right after SOI. */
function withOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const body = [
    ...Array.from("Exif\0\0", (c) => c.charCodeAt(0)),
    ...[0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0],
  ];
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0, body.length + 2, ...body, ...jpeg.subarray(2)]);
}

/** The history of `image` after saving it at each quality in turn. */
async function historyAfter(image: DecodedImage, ...qualities: number[]): Promise<JpegHistory> {
  const saved = await saveAs(image, ...qualities);
  return readJpegHistory(saved.bytes, saved.image);
}

function ghostDips(history: JpegHistory): number[] {
  return history.patches.map((p) => p.dip);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/** A grey gradient with deterministic noise: texture everywhere, no dataset needed. */
function noise(width: number, height: number): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  let seed = 99;
  for (let i = 0; i < width * height; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data.fill(((i % width) / 4 + (seed >>> 25)) & 0xff, i * 3, i * 3 + 3);
  }
  return { data, width, height, channels: 3, format: "png" };
}

describe("readJpegHistory on made-up images", () => {
  it("says a PNG has no JPEG history, and why that is no evidence", async () => {
    const bytes = await encodePng(noise(64, 64));
    const history = await readJpegHistory(bytes, await decodeImage(bytes));
    expect(history).toMatchObject({
      isJpeg: false,
      format: "png",
      tables: null,
      patches: [],
      unreadable: null,
    });
    expect(history.text).toBe(
      "JPEG history: the file is PNG, not JPEG; no JPEG history to read (a file's format says how it was saved, not whether it was generated).",
    );
  });

  it("refuses options out of range and pixels of another image, as the caller's errors", async () => {
    const { bytes, image } = await saveAs(noise(96, 64), 90);
    for (const options of [{ maxPatches: 0 }, { patchSize: 100 }, { patchSize: 32 }]) {
      const error = await readJpegHistory(bytes, image, options).catch((e: unknown) => e);
      expect(isMirageError(error) && error.code === "INVALID_ARGUMENT", JSON.stringify(options)).toBe(true);
    }
    const other = await readJpegHistory(bytes, noise(90, 64)).catch((e: unknown) => e);
    expect(isMirageError(other) && other.reason === "jpeg-history-image-mismatch").toBe(true);
  });

  it("skips the ghost of an image too small for a stable curve", async () => {
    const { bytes, image } = await saveAs(noise(48, 48), 80);
    const history = await readJpegHistory(bytes, image);
    expect(history.tables).toEqual({ kind: "standard", quality: 80 });
    expect(history.text).toContain(
      "No JPEG ghost read: the image is too small (under 64 px) for a stable curve.",
    );
  });

  it("reports truncated and corrupt files as unreadable, with what could be read, and never throws", async () => {
    const { bytes, image } = await saveAs(noise(256, 128), 90);
    const cut = await readJpegHistory(bytes.subarray(0, bytes.length - 200), image);
    expect(cut.unreadable).toMatch(/^truncated: /);
    expect(cut.tables).toEqual({ kind: "standard", quality: 90 });
    expect(cut.text).toMatch(
      /^JPEG history: the markers are unreadable \(truncated: .*\): libjpeg standard tables at quality 90/,
    );

    const dqt = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xdb);
    const corrupt = bytes.slice();
    corrupt[dqt + 10] = 0; // a zero step
    const broken = await readJpegHistory(corrupt, image);
    expect(broken.unreadable).toMatch(/^malformed: quantisation table 0 .* zero step/);
    expect(broken.tables).toBeNull();
    expect(broken.patches).toEqual([]);
    expect(broken.text).toMatch(
      /^JPEG history: the markers are unreadable \(malformed: .*\); the quantisation tables could not be read, so no history is told\./,
    );
    for (let end = 3; end < 700; end += 7) {
      await expect(readJpegHistory(bytes.subarray(0, end), image)).resolves.toHaveProperty("unreadable");
    }
  });
});

// Images of ../shared read in place (never copied into the project).
describe.skipIf(!sharedAvailable(dataset))("readJpegHistory on aigi-v1 photos", () => {
  // Outdoor photos of 1024 × 768 (or 683), halved: three scenes with texture and sky.
  const photos = [
    "real/sun-hays80/CSun_Hays80__fountain_sun_atybswifcirkporj.jpg",
    "real/sun-hays80/CSun_Hays80__swamp_sun_bdtjpwiuwmqkjdrf.jpg",
    "real/sun-hays80/CSun_Hays80__village_sun_abdgedtspkcucrao.jpg",
  ];
  let fresh: DecodedImage[];
  beforeAll(async () => {
    fresh = await Promise.all(photos.map(async (path) => halve(await decodeImage(read(path)))));
  });

  it("reads the quality of libjpeg's tables exactly", async () => {
    for (const quality of [50, 75, 90, 95]) {
      const { bytes, image } = await saveAs(fresh[0]!, quality);
      const history = await readJpegHistory(bytes, image);
      expect(history.tables).toEqual({ kind: "standard", quality });
      expect(history).toMatchObject({
        isJpeg: true,
        coding: "baseline",
        progressive: false,
        subsampling: "4:2:0",
      });
    }
  });

  it("finds no ghost in a photo saved once at q 90", async () => {
    const { bytes, image } = await saveAs(fresh[1]!, 90);
    const history = await readJpegHistory(bytes, image);
    expect(history.earlierQuality).toBeNull();
    expect(history.patches).toHaveLength(4);
    expect(history.patches.every((p) => p.ghostQuality === null && p.size === 256)).toBe(true);
    expect(history.text).toBe(
      "JPEG history: libjpeg standard tables at quality 90, written by an image library (libjpeg, libvips, Pillow, a browser, most apps and generators' savers), not by a camera's own encoder. " +
        "Baseline, 4:2:0 chroma; no application segments (metadata stripped). " +
        `No JPEG ghost in 4 patches of 256 px (deepest dip ${Math.max(...ghostDips(history)).toFixed(2)}): no earlier compression at q ≤ 82 shows (a ghost shows only an earlier, lower quality). ` +
        "How a file was saved is not evidence of generation either way.",
    );
  });

  it("finds the ghost of q 70 in a photo re-saved at q 92, where it is", async () => {
    const { bytes, image } = await saveAs(fresh[1]!, 70, 92);
    const history = await readJpegHistory(bytes, image);
    expect(history.tables).toEqual({ kind: "standard", quality: 92 });
    expect(Math.abs(history.earlierQuality! - 70)).toBeLessThanOrEqual(6);
    expect(history.patches.filter((p) => p.ghostQuality !== null).length).toBeGreaterThanOrEqual(3);
    expect(history.text).toMatch(
      /A JPEG ghost at q≈7\d in [34] of 4 patches of 256 px \((upper|middle|lower|centre)[a-z ,]*; dips 0\.\d\d–0\.\d\d\): compressed before at about that quality, then re-saved at q≈92 — a re-upload or re-edit\. How a file was saved is not evidence of generation either way\.$/,
    );
  });

  it("holds the dip threshold between photos saved once and photos saved twice", async () => {
    // Saved once: no dip reaches the threshold (measured on 1453 patches: none above 0.26).
    for (const photo of fresh) {
      for (const quality of [60, 75, 90, 95]) {
        const once = await historyAfter(photo, quality);
        expect(Math.max(...ghostDips(once)), `once at ${quality}`).toBeLessThan(ghostThresholds.dip);
        expect(once.earlierQuality).toBeNull();
      }
    }
    // Saved twice, the earlier steps about an integer multiple of the later: the median patch
    // dips well past it, at the earlier quality.
    for (const photo of fresh) {
      for (const [first, last] of [
        [70, 92],
        [60, 90],
        [80, 95],
      ] as const) {
        const twice = await historyAfter(photo, first, last);
        expect(median(ghostDips(twice)), `${first} → ${last}`).toBeGreaterThan(ghostThresholds.dip + 0.2);
        expect(twice.earlierQuality, `${first} → ${last}`).toBe(first);
      }
    }
  });

  it("follows the 8-px grid through every EXIF orientation and odd sizes", async () => {
    // 509 × 381: neither side a multiple of 8, so a mirrored axis moves the grid by 5 px.
    const { bytes } = await saveAs(crop(fresh[1]!, 1, 2, 509, 381), 70, 92);
    for (let orientation = 1; orientation <= 8; orientation++) {
      const oriented = withOrientation(bytes, orientation);
      const image = await decodeImage(oriented);
      expect([image.width, image.height]).toEqual(orientation >= 5 ? [381, 509] : [509, 381]);
      const history = await readJpegHistory(oriented, image);
      expect(history.earlierQuality, `orientation ${orientation}`).toBe(70);
      expect(history.app?.exif).toBe(true);
    }
    // The pixels of the unrotated file under the bytes of the rotated one: the grid is off by
    // 5 px on both axes, and the lattice check refuses to read a curve rather than guess.
    const wrong = await readJpegHistory(withOrientation(bytes, 3), await decodeImage(bytes));
    expect(wrong.patches).toEqual([]);
    expect(wrong.text).toContain(
      "No JPEG ghost read: the decoded pixels do not sit on the file's own quantisation grid",
    );
  });

  it("says a generator's PNG has no JPEG history", async () => {
    const bytes = read("ai/comfyui-examples/sd3__sd3_simple_example.png");
    const history = await readJpegHistory(bytes, await decodeImage(bytes));
    expect(history.isJpeg).toBe(false);
    expect(history.text).toMatch(/^JPEG history: the file is PNG, not JPEG; no JPEG history to read/);
  });

  it("reads a camera's own tables as custom, without calling them proof of a camera", async () => {
    const bytes = read("real/metadata-extractor-images/jpg__Canon_PowerShot_A70.jpg");
    const history = await readJpegHistory(bytes, await decodeImage(bytes));
    expect(history.tables?.kind).toBe("custom");
    const nearest = history.tables?.kind === "custom" ? history.tables.nearestQuality : 0;
    expect(nearest).toBeGreaterThanOrEqual(85);
    expect(history).toMatchObject({ coding: "baseline", subsampling: "4:2:2", unreadable: null });
    expect(history.app).toMatchObject({ exif: true, jfif: false });
    expect(history.text).toContain(
      `custom quantisation tables, closest to IJG quality ${nearest}: what camera firmware and phones write, but also Photoshop and some other editors and encoders, so they do not prove a camera.`,
    );
    // Cut inside its scan data: unreadable, yet the tables and the pixels still tell their story.
    const cut = await readJpegHistory(bytes.subarray(0, bytes.length >> 1), await decodeImage(bytes));
    expect(cut.unreadable).toMatch(/^truncated: the file ends at byte \d+ before its end-of-image marker/);
    expect(cut.tables).toEqual(history.tables);
  });
});
