import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

describe("README.md", () => {
  it("runs its example as written", async () => {
    const { stdout } = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)), 30_000);
    expect(stdout.trim()).toBe("0.93 image-empty SERVING");
  });
});
