import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { decodeImage } from "@mirage/imaging";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeDwtDctBits } from "./internal/dwt-dct-votes.js";
import type { DwtDctEmbedding, RgbPixels } from "./internal/dwt-dct-votes.js";
import { embedDwtDctWatermark } from "./internal/sd-watermark-encoder.js";
import { syntheticImage } from "./internal/synthetic-image.js";
import {
  decodeSdWatermark,
  decodeSdWatermarkFully,
  inspectSdWatermark,
  sdWatermarkPatterns,
} from "./sd-watermark.js";

const bitString = (bits: Uint8Array | null): string => (bits === null ? "" : Array.from(bits).join(""));
const patternBits = (name: string): readonly number[] =>
  sdWatermarkPatterns.find((pattern) => pattern.name === name)!.bits;

async function decodeFile(path: string): Promise<RgbPixels> {
  const image = await decodeImage(new Uint8Array(readFileSync(path)));
  return { data: image.data, width: image.width, height: image.height, channels: 3 };
}

/** The prescreened decode must give the full decode's answer; returns the inspection. */
function expectFullScanAnswer(pixels: RgbPixels, label: string): ReturnType<typeof inspectSdWatermark> {
  const inspection = inspectSdWatermark(pixels);
  expect(inspection.finding, label).toEqual(decodeSdWatermarkFully(pixels));
  return inspection;
}

/** The photo centred on a white canvas `scale` times its size: a product shot on a clipped background. */
function onWhiteCanvas(pixels: RgbPixels, scale: number): RgbPixels {
  const width = Math.round(pixels.width * scale);
  const height = Math.round(pixels.height * scale);
  const data = new Uint8Array(width * height * 3).fill(255);
  const left = Math.floor((width - pixels.width) / 2);
  const top = Math.floor((height - pixels.height) / 2);
  for (let y = 0; y < pixels.height; y++)
    data.set(
      pixels.data.subarray(y * pixels.width * 3, (y + 1) * pixels.width * 3),
      ((y + top) * width + left) * 3,
    );
  return { data, width, height, channels: 3 };
}

async function jpegRoundTrip(
  pixels: RgbPixels,
  quality: number,
  chromaSubsampling: "4:4:4" | "4:2:0",
): Promise<RgbPixels> {
  const jpeg = await sharp(Buffer.from(pixels.data), {
    raw: { width: pixels.width, height: pixels.height, channels: 3 },
  })
    .jpeg({ quality, chromaSubsampling })
    .toBuffer();
  const image = await decodeImage(new Uint8Array(jpeg));
  return { data: image.data, width: image.width, height: image.height, channels: 3 };
}

describe("bit-exactness with imwatermark 0.2.0 (OpenCV 4, PyWavelets)", () => {
  // Expected values were produced by the Python reference on the same deterministic image:
  // WatermarkDecoder('bits', n).decode(cv2.imread(png), 'dwtDct').
  const image = syntheticImage(517, 389);

  it("decodes the same 48, 32 and 136 bits as the reference", () => {
    expect(bitString(decodeDwtDctBits(image, 48))).toBe("001001101100101110111000001010110111000101111111");
    expect(bitString(decodeDwtDctBits(image, 32))).toBe("00100001001010110011101001011110");
    expect(bitString(decodeDwtDctBits(image, 136))).toBe(
      "0011010111111011110101101110011110010010100110010010101100000100001000101110110011011011011110010100010100111011011001110011111101010110",
    );
  });

  it("the test encoder writes the reference encoder's pixels exactly", () => {
    // sha256 of WatermarkEncoder().encode(bgr, 'dwtDct') converted to RGB, per payload.
    const expected: Record<string, string> = {
      sdxl: "09ef8e670b3f95697d505c62f15bbd8f3ce3e287d4f17891ef0ed6f51392d350",
      sd1: "f826f15646dec2659fb00b3ae6703242aad0c8c605e161ef97f12838f0aec5f1",
      sd2: "27886a01dd0ff659bffa842cf90468c5cfca8355ee4d352b8fc6f7f34665303a",
    };
    for (const [name, hash] of Object.entries(expected)) {
      const marked = embedDwtDctWatermark(image, patternBits(name), "uint8-bgr");
      expect(createHash("sha256").update(marked.data).digest("hex"), name).toBe(hash);
    }
  });

  it("refuses images under 256×256 pixels of area, as the reference does", () => {
    expect(decodeDwtDctBits(syntheticImage(255, 256), 48)).toBeNull();
    expect(decodeSdWatermark(syntheticImage(300, 200))).toBeNull();
  });
});

describe("patterns", () => {
  it("are the published payloads", () => {
    expect(patternBits("sdxl").join("")).toBe("101100111110110010010000011110111011000110011110");
    expect(patternBits("sd2")).toHaveLength(32);
    expect(patternBits("sd1")).toHaveLength(136);
  });

  it("finds each mark, decisively, in a clean synthetic image, through the full scan", () => {
    const image = syntheticImage(640, 480, 7);
    for (const pattern of sdWatermarkPatterns) {
      for (const embedding of pattern.embeddings) {
        const label = `${pattern.name} ${embedding}`;
        const inspection = expectFullScanAnswer(embedDwtDctWatermark(image, pattern.bits, embedding), label);
        expect(inspection.path, label).toBe("full");
        expect(inspection.finding, label).toMatchObject({
          watermark: pattern.name,
          bitsMatched: pattern.bits.length,
          decisive: true,
        });
      }
    }
  });

  it("finds nothing in the unmarked image", () => {
    expect(decodeSdWatermark(syntheticImage(640, 480, 7))).toBeNull();
  });
});

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))(
  "round trip through a real photograph and JPEG q90",
  () => {
    // The mark lives in single chroma samples of the half-resolution Haar band. It survives JPEG q90
    // with full-resolution chroma (4:4:4); 4:2:0 subsampling turns each marked coefficient into a
    // one-sample spike of the subsampled plane, whose high frequencies the coarse chroma
    // quantisation removes, so the mark is gone (measured: every bit back to the unmarked decode).
    const photo = sharedPath(
      "datasets/aigi-v1/real/sun-hays80/CSun_Hays80__waterfall_block_sun_bejnvnpltdmhbcsi.jpg",
    );
    const cases: [string, DwtDctEmbedding][] = [
      ["sdxl", "float-bgr"],
      ["sdxl", "float-rgb"],
      ["sdxl", "uint8-bgr"],
      ["sd2", "uint8-bgr"],
      ["sd1", "uint8-bgr"],
    ];

    it.each(cases)("%s embedded on the %s path is found after JPEG q90 4:4:4", async (name, embedding) => {
      const pixels = await decodeFile(photo);
      expect(decodeSdWatermark(pixels)).toBeNull();
      const marked = await jpegRoundTrip(
        embedDwtDctWatermark(pixels, patternBits(name), embedding),
        90,
        "4:4:4",
      );
      const inspection = expectFullScanAnswer(marked, `${name} ${embedding}`);
      expect(inspection.path).toBe("full");
      const finding = inspection.finding;
      expect(finding).toMatchObject({ watermark: name, embedding, decisive: true });
      expect(finding!.bitsMatched / finding!.bitsTotal).toBeGreaterThanOrEqual(0.95);
    });

    it("JPEG q90 with 4:2:0 chroma subsampling (sharp's default) erases it", async () => {
      const pixels = await decodeFile(photo);
      const marked = embedDwtDctWatermark(pixels, patternBits("sdxl"), "float-bgr");
      expect(decodeSdWatermark(marked)).toMatchObject({ watermark: "sdxl", decisive: true });
      expect(decodeSdWatermark(await jpegRoundTrip(marked, 90, "4:2:0"))).toBeNull();
    });

    it("a mark on a photo with a white border (31% of the area) is read exactly as the full scan reads it", async () => {
      const canvas = onWhiteCanvas(await decodeFile(photo), 1.2);
      for (const [name, embedding] of [
        ["sdxl", "uint8-bgr"],
        ["sdxl", "float-bgr"],
        ["sd1", "uint8-bgr"],
      ] as const) {
        const marked = await jpegRoundTrip(
          embedDwtDctWatermark(canvas, patternBits(name), embedding),
          90,
          "4:4:4",
        );
        const inspection = expectFullScanAnswer(marked, `${name} ${embedding}`);
        expect(inspection.path).toBe("full");
        expect(inspection.finding).toMatchObject({ watermark: name, embedding });
      }
    });

    it("a mark on mostly white (61%) defeats the decoder, yet the prescreen still sends it to the full scan", async () => {
      // The white blocks all vote 0, so every bit decodes 0; the sampled contrast still shows the mark.
      const canvas = onWhiteCanvas(await decodeFile(photo), 1.6);
      const marked = embedDwtDctWatermark(canvas, patternBits("sdxl"), "uint8-bgr");
      const inspection = expectFullScanAnswer(marked, "sdxl on white");
      expect(inspection).toMatchObject({ path: "full", finding: null });
      expect(inspection.contrastZ).toBeGreaterThan(4);
    });

    it("a pure white (saturated) image cannot hold the mark", () => {
      const white: RgbPixels = {
        data: new Uint8Array(512 * 512 * 3).fill(255),
        width: 512,
        height: 512,
        channels: 3,
      };
      const marked = embedDwtDctWatermark(white, patternBits("sdxl"), "uint8-bgr");
      // Clipping at 255 erases the change to U, so every block reads the same bit.
      expect(decodeSdWatermark(marked)).toBeNull();
    });
  },
);

describe.skipIf(!sharedAvailable("fixtures/watermark-candidates"))(
  "negatives: the published SD sample images",
  () => {
    const dir = sharedPath("fixtures/watermark-candidates");
    const files = readdirSync(dir).filter((file) => /\.(png|jpe?g)$/i.test(file));

    it("has the 8 candidates", () => expect(files).toHaveLength(8));

    it.each(files)("%s carries no watermark (prescreened or not)", async (file) => {
      const pixels = await decodeFile(`${dir}/${file}`);
      expect(decodeSdWatermark(pixels)).toBeNull();
      expect(decodeSdWatermarkFully(pixels)).toBeNull();
    });

    it("reads the reference decoder's bits on the lossless candidates", async () => {
      // imwatermark 0.2.0: WatermarkDecoder('bits', 48).decode(cv2.imread(file), 'dwtDct').
      const reference: Record<string, string> = {
        "sd1-img2img-mountains-1.png": "110001111000000001001101000100101001011101000000",
        "sd1-txt2img-000002025.png": "111111111111111111111111111111111111111101111111",
        "sd2-depth2img-old_man.png": "111111111111111111111111111111111111111111111111",
        "sdxl-assets-test_image.png": "111111111111111111111111111111111111111111111111",
      };
      for (const [file, bits] of Object.entries(reference))
        expect(bitString(decodeDwtDctBits(await decodeFile(`${dir}/${file}`), 48)), file).toBe(bits);
    });
  },
);

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("the prescreen on aigi-v1", () => {
  const image = (path: string): Promise<RgbPixels> => decodeFile(sharedPath(`datasets/aigi-v1/${path}`));

  it.each([
    "real/metadata-extractor-images/jpg__Nokia_3110c_Mobile_Phone_.jpg",
    "real/metadata-extractor-images/jpg__Konica_Q-M100_2_.jpg",
    "real/metadata-extractor-images/jpg__Sony_DSC-P52.jpg",
    "real/metadata-extractor-images/jpg__Casio_EX-Z3.jpg",
    "real/magento2-sample-data/pub__media__catalog__product__w__h__wh03-red_main.jpg",
  ])("settles the unmarked photo %s from a quarter of its rows", async (path) => {
    const pixels = await image(path);
    expect(inspectSdWatermark(pixels)).toMatchObject({ path: "prescreen", rowsScored: 0.25, finding: null });
    expect(decodeSdWatermarkFully(pixels)).toBeNull();
  });

  it("sends a photo whose decode could land on a chance match to the full scan", async () => {
    // Its votes are balanced (about as many blocks read 1 as 0), so each decoded bit is close to a
    // coin toss until every block is counted; the full scan finds nothing.
    const inspection = expectFullScanAnswer(
      await image("real/exiv2-testdata/test__data__DSC_3079.jpg"),
      "DSC_3079",
    );
    expect(inspection).toMatchObject({ path: "full", finding: null });
  });

  it.each([
    "ai/kolors-repo/controlnet__outputs__Pose_woman_3_sdxl.png",
    "ai/kolors-repo/controlnet__outputs__Canny_woman_1_sdxl.png",
    "ai/kolors-repo/controlnet__outputs__Depth_bird_sdxl.png",
    "ai/kolors-repo/ipadapter__asset__2_sdxl_ip_result.png",
  ])("reads the diffusers SDXL mark in %s exactly as the full scan does", async (path) => {
    const inspection = expectFullScanAnswer(await image(path), path);
    expect(inspection.path).toBe("full");
    expect(inspection.finding).toMatchObject({ watermark: "sdxl", embedding: "float-rgb", decisive: true });
  });
});

describe("cost", () => {
  it("measures the decoder on a 2 MP image (reported, not asserted)", () => {
    // Textured noise with balanced votes: the prescreen cannot settle it, so this is the full scan.
    const image = syntheticImage(1920, 1080, 3);
    const { path } = inspectSdWatermark(image);
    const runs = 10;
    const start = performance.now();
    for (let i = 0; i < runs; i++) decodeSdWatermark(image);
    const ms = (performance.now() - start) / runs;
    process.stdout.write(`decodeSdWatermark on 1920×1080 (${path} path): ${ms.toFixed(1)} ms per image\n`);
    expect(ms).toBeGreaterThan(0);
  });
});
