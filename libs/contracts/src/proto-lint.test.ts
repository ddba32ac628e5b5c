import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { promisify } from "node:util";
import type { DescMessage } from "@bufbuild/protobuf";
import { repoRoot } from "@mirage/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyzeRequestSchema, AnalyzeStreamRequestSchema } from "./index.js";

const run = promisify(execFile);
// `buf` and the `protoc-gen-es` plugin it spawns both come from node_modules/.bin, as under `npm run`.
const env = {
  ...process.env,
  PATH: `${join(repoRoot, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`,
};
const buf = join(repoRoot, "node_modules/.bin/buf");
const committedGen = join(repoRoot, "libs/contracts/src/gen");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe("proto/mirage/v1", () => {
  it("passes `buf lint` (STANDARD rules)", async () => {
    // execFile rejects on a non-zero exit; stdout then lists the violations.
    const { stdout } = await run(buf, ["lint"], { cwd: repoRoot, env });
    expect(stdout).toBe("");
  });

  describe("generated code", () => {
    let tempDir = "";
    let outDir = "";

    beforeAll(async () => {
      tempDir = await mkdtemp(join(tmpdir(), "mirage-gen-"));
      outDir = join(tempDir, "gen");
      // The committed buf.gen.yaml with only `out` changed, so the plugin options are the same.
      const committed = await readFile(join(repoRoot, "buf.gen.yaml"), "utf8");
      const template = committed.replace("out: libs/contracts/src/gen", `out: ${JSON.stringify(outDir)}`);
      expect(template).not.toBe(committed);
      const templatePath = join(tempDir, "buf.gen.yaml");
      await writeFile(templatePath, template);
      await run(buf, ["generate", "--template", templatePath], { cwd: repoRoot, env });
    });

    afterAll(async () => {
      if (tempDir !== "") await rm(tempDir, { recursive: true, force: true });
    });

    it("is up to date with the protos (run `npm run gen`)", async () => {
      const fresh = await listFiles(outDir);
      expect(fresh.length).toBeGreaterThan(0);
      expect(await listFiles(committedGen)).toEqual(fresh);
      for (const file of fresh) {
        const [want, have] = await Promise.all([
          readFile(join(outDir, file), "utf8"),
          readFile(join(committedGen, file), "utf8"),
        ]);
        expect(have, `${file} differs from a fresh \`buf generate\``).toBe(want);
      }
    });
  });

  it("keeps AnalyzeStreamRequest wire-compatible with AnalyzeRequest", () => {
    const shape = (schema: DescMessage) =>
      schema.fields.map((f) => ({
        name: f.name,
        number: f.number,
        kind: f.fieldKind,
        type: f.scalar ?? f.message?.typeName ?? f.enum?.typeName,
      }));
    expect(shape(AnalyzeStreamRequestSchema)).toEqual(shape(AnalyzeRequestSchema));
  });
});
