import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

describe("README.md", () => {
  it("runs its example as written", async () => {
    const { example, stdout } = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)), 30_000);
    const promised = /\/\/ → (.*)/.exec(example)?.[1];
    expect(promised).toBe("internal-address true false");
    expect(stdout.trim()).toBe(promised);
  });
});
