import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { repoRoot } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README.md", () => {
  it("runs its example as written", async () => {
    const readme = await readFile(join(packageDir, "README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // Beside the package, so "@mirage/*" resolves like it does for a service; removed afterwards.
    const file = join(packageDir, `.readme-example-${process.pid}.ts`);
    await writeFile(file, example ?? "");
    try {
      const { stdout } = await promisify(execFile)(
        join(repoRoot, "node_modules/.bin/tsx"),
        ["--conditions=@mirage/source", file],
        { cwd: packageDir, timeout: 60_000 },
      );
      // The line the README says it prints.
      const promised = /\/\/ → (.*)/.exec(example ?? "")?.[1];
      expect(promised).toBe("cpu fulfilled,fulfilled,rejected 1,1,3");
      expect(stdout.trim()).toBe(promised);
    } finally {
      await rm(file, { force: true });
    }
  });
});
