import { describe, expect, it } from "vitest";
import { analyzeProvenance } from "./analyze.js";
import {
  ascii,
  buildJpeg,
  buildPng,
  buildTiff,
  buildWebp,
  exifSegment,
  itxtChunk,
  jpegSegment,
  textChunk,
  undefinedBytes,
  xmpPacket,
  xmpSegment,
  ztxtChunk,
} from "./internal/test-files.js";
import type { ProvenanceEvidence } from "./types.js";

const a1111 =
  "a cat on a sofa, best quality\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.6.0";

async function generatorEvidence(file: Uint8Array): Promise<ProvenanceEvidence[]> {
  const report = await analyzeProvenance(file);
  return report.evidence.filter((item) => item.kind === "generator-metadata");
}

describe("generator metadata", () => {
  it("AUTOMATIC1111 infotext in PNG tEXt parameters", async () => {
    const [evidence, ...rest] = await generatorEvidence(buildPng([textChunk("parameters", a1111)]));
    expect(rest).toEqual([]);
    expect(evidence).toMatchObject({
      summary:
        'AUTOMATIC1111 Stable Diffusion WebUI generation metadata in PNG text chunk "parameters" (model sd_xl_base_1.0, sampler DPM++ 2M Karras, 30 steps).',
      weight: 1,
      decisive: true,
      details: {
        generator: "AUTOMATIC1111 Stable Diffusion WebUI",
        model: "sd_xl_base_1.0",
        sampler: "DPM++ 2M Karras",
        steps: "30",
      },
    });
  });

  it("Forge infotext in compressed iTXt, and in zTXt", async () => {
    const forge = a1111.replace("Version: v1.6.0", "Version: f2.0.1v1.10.1-previous-313-g8a042934");
    const [itxt] = await generatorEvidence(buildPng([itxtChunk("parameters", forge, { compress: true })]));
    const [ztxt] = await generatorEvidence(buildPng([ztxtChunk("parameters", forge)]));
    expect(itxt!.details.generator).toBe("Stable Diffusion WebUI Forge");
    expect(ztxt!.details.location).toBe('PNG compressed text chunk "parameters"');
  });

  it("ComfyUI prompt and workflow JSON, naming the checkpoint", async () => {
    const prompt = JSON.stringify({
      "3": { class_type: "KSampler", inputs: { seed: 1, steps: 20 } },
      "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "sd_xl_base_1.0.safetensors" } },
    });
    const workflow = JSON.stringify({
      nodes: [{ id: 4, type: "CheckpointLoaderSimple", widgets_values: ["sd_xl_base_1.0.safetensors"] }],
      links: [],
    });
    const [evidence] = await generatorEvidence(
      buildPng([textChunk("prompt", prompt), textChunk("workflow", workflow)]),
    );
    expect(evidence!.summary).toBe(
      'ComfyUI workflow in PNG text chunks "prompt" and "workflow" (checkpoint sd_xl_base_1.0.safetensors).',
    );
  });

  it("ComfyUI workflow alone (UNET loader)", async () => {
    const workflow = JSON.stringify({
      nodes: [{ type: "UNETLoader", widgets_values: ["flux1-dev.safetensors", "default"] }],
    });
    const [evidence] = await generatorEvidence(buildPng([textChunk("workflow", workflow)]));
    expect(evidence!.details).toMatchObject({ generator: "ComfyUI", model: "flux1-dev.safetensors" });
  });

  it("a truncated ComfyUI JSON is a problem, not evidence", async () => {
    const report = await analyzeProvenance(
      buildPng([textChunk("prompt", '{"3": {"class_type": "KSampler", "inp')]),
    );
    expect(report.evidence).toEqual([]);
    expect(report.problems.join(" ")).toMatch(/looks like JSON but does not parse/);
  });

  it("InvokeAI metadata", async () => {
    const metadata = JSON.stringify({
      model: { name: "juggernautXL_v9", base: "sdxl" },
      scheduler: "euler",
      steps: 30,
    });
    const [evidence] = await generatorEvidence(buildPng([textChunk("invokeai_metadata", metadata)]));
    expect(evidence!.details).toMatchObject({
      generator: "InvokeAI",
      model: "juggernautXL_v9",
      sampler: "euler",
    });
  });

  it("legacy InvokeAI sd-metadata and Dream", async () => {
    const legacy = JSON.stringify({
      model_weights: "stable-diffusion-1.5",
      image: { sampler: "k_lms", steps: 50 },
    });
    expect((await generatorEvidence(buildPng([textChunk("sd-metadata", legacy)])))[0]!.details.model).toBe(
      "stable-diffusion-1.5",
    );
    expect(
      (
        await generatorEvidence(
          buildPng([textChunk("Dream", '"a castle" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms')]),
        )
      )[0]!.details.generator,
    ).toBe("InvokeAI");
  });

  it("Fooocus JSON parameters with fooocus_scheme", async () => {
    const parameters = JSON.stringify({
      Prompt: "a castle",
      "Base Model": "juggernautXL_v8Rundiffusion.safetensors",
      Sampler: "dpmpp_2m_sde_gpu",
      Steps: 30,
    });
    const [evidence] = await generatorEvidence(
      buildPng([textChunk("parameters", parameters), textChunk("fooocus_scheme", "fooocus")]),
    );
    expect(evidence!.details).toMatchObject({
      generator: "Fooocus",
      model: "juggernautXL_v8Rundiffusion.safetensors",
      steps: "30",
    });
  });

  it("SwarmUI JSON parameters", async () => {
    const parameters = JSON.stringify({
      sui_image_params: {
        prompt: "a castle",
        model: "OfficialStableDiffusion/sd_xl_base_1.0",
        steps: 20,
        sampler: "euler",
      },
    });
    const [evidence] = await generatorEvidence(buildPng([textChunk("parameters", parameters)]));
    expect(evidence!.details).toMatchObject({
      generator: "SwarmUI",
      model: "OfficialStableDiffusion/sd_xl_base_1.0",
    });
  });

  it("NovelAI Software text with its Comment JSON", async () => {
    const comment = JSON.stringify({ prompt: "1girl", steps: 28, sampler: "k_euler_ancestral", seed: 1 });
    const [evidence] = await generatorEvidence(
      buildPng([
        textChunk("Software", "NovelAI"),
        textChunk("Source", "NovelAI Diffusion V4 4F3C1B9E"),
        textChunk("Comment", comment),
      ]),
    );
    expect(evidence!.details).toMatchObject({
      generator: "NovelAI",
      model: "NovelAI Diffusion V4 4F3C1B9E",
      sampler: "k_euler_ancestral",
      steps: "28",
    });
  });

  it("Midjourney Description with a job id", async () => {
    const description = "a lighthouse at dusk --ar 3:2 --v 6.1 Job ID: 0e5bd5e6-7a35-4c5b-9b3e-2f1d0c8a9b7e";
    const [evidence] = await generatorEvidence(buildPng([itxtChunk("Description", description)]));
    expect(evidence!.details.generator).toBe("Midjourney");
  });

  it("Easy Diffusion keys", async () => {
    const [evidence] = await generatorEvidence(
      buildPng([
        textChunk("prompt", "a castle"),
        textChunk("use_stable_diffusion_model", "sd-v1-4"),
        textChunk("sampler_name", "euler"),
      ]),
    );
    expect(evidence!.details).toMatchObject({ generator: "Easy Diffusion", model: "sd-v1-4" });
  });

  it("infotext in JPEG EXIF UserComment (UNICODE, big-endian as piexif writes it)", async () => {
    const text = Buffer.from(a1111, "utf16le").swap16();
    const comment = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), text]);
    const tiff = buildTiff([ascii(0x0131, "")], [undefinedBytes(0x9286, comment)]);
    const [evidence] = await generatorEvidence(buildJpeg([exifSegment(tiff)]));
    expect(evidence).toMatchObject({
      details: { location: "EXIF UserComment", model: "sd_xl_base_1.0" },
      decisive: true,
    });
  });

  it("infotext in WebP EXIF UserComment (UNICODE, little-endian)", async () => {
    const comment = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), Buffer.from(a1111, "utf16le")]);
    const [evidence] = await generatorEvidence(
      buildWebp([["EXIF", buildTiff([], [undefinedBytes(0x9286, comment)])]]),
    );
    expect(evidence!.details.location).toBe("EXIF UserComment");
  });

  it("infotext in a JPEG comment", async () => {
    const [evidence] = await generatorEvidence(
      buildJpeg([jpegSegment(0xfe, new TextEncoder().encode(a1111))]),
    );
    expect(evidence!.details.location).toBe('JPEG comment "comment"');
  });

  it("a generator named as XMP CreatorTool or EXIF Software", async () => {
    const xmp = xmpPacket('xmp:CreatorTool="Draw Things"');
    expect((await generatorEvidence(buildJpeg([xmpSegment(xmp)])))[0]!.details.generator).toBe("Draw Things");
    const tiff = buildTiff([ascii(0x0131, "NovelAI")]);
    expect((await generatorEvidence(buildJpeg([exifSegment(tiff)])))[0]!.summary).toBe(
      'NovelAI generation metadata in EXIF Software "NovelAI".',
    );
  });

  it("editing software is not a generator", async () => {
    for (const software of [
      "Adobe Photoshop 25.0 (Windows)",
      "GIMP 2.10.36",
      "Affinity Designer 2",
      "HDR+ 1.0.641377693zd",
      "Lightroom",
    ]) {
      expect(
        await generatorEvidence(buildJpeg([exifSegment(buildTiff([ascii(0x0131, software)]))])),
        software,
      ).toEqual([]);
    }
  });

  it("a caption that merely mentions steps is not infotext", async () => {
    expect(
      await generatorEvidence(buildPng([textChunk("Description", "Steps: 3, then turn left at the church")])),
    ).toEqual([]);
  });
});
