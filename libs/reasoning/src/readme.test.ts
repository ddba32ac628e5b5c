import { readFile } from "node:fs/promises";
import { verdictJsonSchema, verdictToJson } from "@mirage/contracts";
import { createDetector } from "@mirage/detector";
import { afterEach, describe, expect, it } from "vitest";
import { createReasoner } from "./index.js";
import { png, textured, tinyModelDir, warm } from "./testing/images.js";

const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;

describe("README", () => {
  const saved = process.env.MIRAGE_TRIAGE_MODEL_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.MIRAGE_TRIAGE_MODEL_DIR;
    else process.env.MIRAGE_TRIAGE_MODEL_DIR = saved;
  });

  it("runs its example as written (imports bound, upload.jpg a generated image)", async () => {
    const imports = example.match(/^import .*$/gm) ?? [];
    expect(imports).toEqual([
      'import { readFile } from "node:fs/promises";',
      'import { verdictToJson } from "@mirage/contracts";',
      'import { createDetector } from "@mirage/detector";',
      'import { createReasoner } from "@mirage/reasoning";',
    ]);
    process.env.MIRAGE_TRIAGE_MODEL_DIR = tinyModelDir;
    const upload = await png(textured(256, 192, () => warm));
    const logged: unknown[] = [];
    const body = example.replace(/^import .*$/gm, "");
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    const run = new AsyncFunction(
      "readFile",
      "verdictToJson",
      "createDetector",
      "createReasoner",
      "console",
      body,
    );
    await run(
      async (path: string) => {
        expect(path).toBe("upload.jpg");
        return upload;
      },
      verdictToJson,
      createDetector,
      createReasoner,
      { log: (value: unknown) => logged.push(value) },
    );
    const steps = logged.slice(0, -1);
    expect(steps.length).toBeGreaterThanOrEqual(6);
    expect(verdictJsonSchema.safeParse(logged.at(-1)).success).toBe(true);
    expect(logged.at(-1)).toMatchObject({ decidedBy: "REASONING", reasoning: { mode: "DEEP" } });
  });
});
