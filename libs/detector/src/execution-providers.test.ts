import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { defaultModelDir } from "./detect.js";
import {
  createProviderSession,
  executionProvidersSchema,
  type SessionFactory,
} from "./execution-providers.js";

const modelPath = join(defaultModelDir, "model.onnx");

/** Whether this onnxruntime-node has its CUDA provider libraries (the GPU image does; the npm build here does not). */
const cudaInstalled = existsSync(
  join(
    dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json")),
    `bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`,
  ),
);

/** A session factory that loads with the providers in `loads` and fails like onnxruntime otherwise. */
function fakeFactory(loads: string[]): {
  create: SessionFactory;
  calls: ort.InferenceSession.SessionOptions[];
} {
  const calls: ort.InferenceSession.SessionOptions[] = [];
  const create: SessionFactory = async (_path, options) => {
    calls.push(options);
    const first = options.executionProviders?.[0];
    const name = typeof first === "string" ? first : first?.name;
    if (!name || !loads.includes(name))
      throw new Error(`OrtSessionOptionsAppendExecutionProvider_${name}: Failed to load shared library`);
    return { release: async () => undefined } as unknown as ort.InferenceSession;
  };
  return { create, calls };
}

describe("executionProvidersSchema", () => {
  it("takes an ordered list with cpu, if at all, last", () => {
    expect(executionProvidersSchema.parse(["cuda", "cpu"])).toEqual(["cuda", "cpu"]);
    expect(executionProvidersSchema.parse(["tensorrt", "cuda"])).toEqual(["tensorrt", "cuda"]);
  });

  it.each([[[]], [["cpu", "cuda"]], [["cuda", "cuda"]], [["rocm"]]])("refuses %j", (list) => {
    expect(executionProvidersSchema.safeParse(list).success).toBe(false);
  });
});

describe("createProviderSession", () => {
  it("uses the first provider that loads, with the rest behind it, and passes the GPU ordinal", async () => {
    const { create, calls } = fakeFactory(["cuda", "cpu"]);
    const got = await createProviderSession(modelPath, {
      providers: ["cuda", "cpu"],
      gpuDeviceId: 2,
      create,
      supported: ["cpu", "cuda"],
      sessionOptions: { intraOpNumThreads: 1 },
    });
    expect(got.active).toEqual(["cuda", "cpu"]);
    expect(got.skipped).toEqual([]);
    expect(calls).toEqual([
      { intraOpNumThreads: 1, executionProviders: [{ name: "cuda", deviceId: 2 }, "cpu"] },
    ]);
  });

  it("falls back along the list, recording what it skipped and why", async () => {
    const { create } = fakeFactory(["cpu"]);
    const got = await createProviderSession(modelPath, {
      providers: ["tensorrt", "cuda", "cpu"],
      create,
      supported: ["cpu", "cuda"],
    });
    expect(got.active).toEqual(["cpu"]);
    expect(got.skipped).toEqual([
      { name: "tensorrt", error: "not in this onnxruntime-node build (it has cpu, cuda)" },
      { name: "cuda", error: "OrtSessionOptionsAppendExecutionProvider_cuda: Failed to load shared library" },
    ]);
  });

  it("blames the model, not the provider, when the model does not load on CPU either", async () => {
    const { create } = fakeFactory([]);
    await expect(
      createProviderSession(modelPath, { providers: ["cuda"], create, supported: ["cpu", "cuda"] }),
    ).rejects.toMatchObject({ code: "FAILED_PRECONDITION", reason: "model-load-failed" });
    await expect(
      createProviderSession(modelPath, { providers: ["cuda", "cpu"], create, supported: ["cpu", "cuda"] }),
    ).rejects.toMatchObject({ reason: "model-load-failed" });
  });

  describe.skipIf(cudaInstalled)(
    "with the npm build of onnxruntime-node (no CUDA provider libraries)",
    () => {
      it("refuses cuda alone with execution-provider-unavailable, naming the provider and the way to get it", async () => {
        const error = await createProviderSession(modelPath, { providers: ["cuda"] }).catch(
          (e: unknown) => e,
        );
        expect(error).toMatchObject({
          code: "FAILED_PRECONDITION",
          reason: "execution-provider-unavailable",
          details: { provider: "cuda", requested: "cuda" },
        });
        const { message } = error as Error;
        expect(message).toContain(
          "cuda (OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library)",
        );
        expect(message).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12");
        expect(message).toContain("MIRAGE_ORT_PROVIDERS=cuda,cpu");
      });

      it("runs cuda,cpu on cpu and says that it skipped cuda", async () => {
        const got = await createProviderSession(modelPath, { providers: ["cuda", "cpu"] });
        try {
          expect(got.active).toEqual(["cpu"]);
          expect(got.skipped).toEqual([
            { name: "cuda", error: expect.stringContaining("Failed to load shared library") },
          ]);
        } finally {
          await got.session.release();
        }
      });
    },
  );
});
