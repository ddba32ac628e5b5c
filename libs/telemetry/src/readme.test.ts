import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { readSpansFile } from "./index.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
// Inside the package (git-ignored .cache/) so that "@mirage/telemetry" resolves as for any user.
const exampleFile = join(packageDir, ".cache", "readme-example.ts");

describe("README", () => {
  afterAll(async () => {
    await rm(dirname(exampleFile), { recursive: true, force: true });
  });

  it("runs its example: a traced log line, the SLO bucket scraped, the span in the spans file", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    await mkdir(dirname(exampleFile), { recursive: true });
    await writeFile(exampleFile, example ?? "");
    const dir = await mkdtemp(join(tmpdir(), "mirage-readme-"));
    try {
      const spansFile = join(dir, "spans.jsonl");
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--conditions=@mirage/source", "--import", "tsx", exampleFile],
        { cwd: packageDir, env: { PATH: process.env.PATH, MIRAGE_SPANS_FILE: spansFile }, timeout: 60_000 },
      );
      const lines = stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const classified = lines.find((line) => line.msg === "classified");
      expect(classified).toMatchObject({
        service: "triage",
        imageId: "img-1",
        traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
      expect(lines.find((line) => line.msg === "scraped")).toMatchObject({ fastSloBucket: true });
      const spans = await readSpansFile(spansFile);
      expect(spans).toEqual([
        expect.objectContaining({
          name: "classify",
          "service.name": "triage",
          traceId: classified?.traceId,
          spanId: classified?.spanId,
        }),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
