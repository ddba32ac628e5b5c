import { fileURLToPath } from "node:url";
import { runReadmeExample } from "@mirage/test-support";
import { describe, expect, it } from "vitest";

describe("README.md", () => {
  it("runs its example as written", async () => {
    const { example, stdout } = await runReadmeExample(fileURLToPath(new URL("..", import.meta.url)));
    // The line the README says it prints.
    const promised = /\/\/ → (.*)/.exec(example)?.[1];
    expect(promised).toBe("cpu fulfilled,fulfilled,rejected 1,1,3");
    expect(stdout.trim()).toBe(promised);
  });
});
