import { readFile } from "node:fs/promises";
import { createDetector } from "@mirage/detector";
import { afterEach, describe, expect, it } from "vitest";
import { createReasoner, createVlmReasoner } from "../index.js";
import { png, startVlmTestServer, textured, tinyModelDir, warm } from "../testing/index.js";

const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
const section = readme.slice(readme.indexOf("## VLM backend"));
const example = /```ts\n([\s\S]*?)```/.exec(section)![1]!;

describe("README, VLM backend", () => {
  const saved = process.env.MIRAGE_TRIAGE_MODEL_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.MIRAGE_TRIAGE_MODEL_DIR;
    else process.env.MIRAGE_TRIAGE_MODEL_DIR = saved;
  });

  it("runs its example as written, against a local server in place of the GPU worker", async () => {
    const imports = example.match(/^import .*$/gm) ?? [];
    expect(imports).toEqual([
      'import { readFile } from "node:fs/promises";',
      'import { createDetector } from "@mirage/detector";',
      'import { createReasoner, createVlmReasoner } from "@mirage/reasoning";',
    ]);
    const server = await startVlmTestServer("qwen2.5-vl-7b");
    try {
      process.env.MIRAGE_TRIAGE_MODEL_DIR = tinyModelDir;
      const upload = await png(textured(256, 192, () => warm));
      const body = example.replace(/^import .*$/gm, "").replace("http://gpu-worker:8000/v1", server.url);
      const logged: unknown[] = [];
      const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
        ...args: string[]
      ) => (...values: unknown[]) => Promise<void>;
      const run = new AsyncFunction(
        "readFile",
        "createDetector",
        "createReasoner",
        "createVlmReasoner",
        "console",
        body,
      );
      await run(
        async (path: string) => {
          expect(path).toBe("upload.jpg");
          return upload;
        },
        createDetector,
        createReasoner,
        createVlmReasoner,
        { log: (value: unknown) => logged.push(value) },
      );
      expect(server.requests.map((r) => r.problems)).toEqual([[]]);
      expect(logged.at(-1)).toMatch(/\+vlm:qwen2\.5-vl-7b$/);
      expect(logged.filter((l) => String(l).startsWith("qwen2.5-vl-7b: "))).toHaveLength(4);
    } finally {
      await server.close();
    }
  });
});
