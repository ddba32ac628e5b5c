import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { encoded } from "./testing/images.js";

// Runs the README's snippet as written (on a generated photo), so the README cannot quietly rot.
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
// Inside the package so that "@mirage/imaging" resolves; .cache/ is git-ignored.
const workDir = join(packageDir, ".cache");

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

it("the README example runs", async () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toContain('readFile("photo.jpg")');
  mkdirSync(workDir, { recursive: true });
  const photo = join(workDir, "photo.jpg");
  writeFileSync(photo, await encoded("jpeg", 640, 480));
  const module = join(workDir, "example.ts");
  const exported = "\nexport { header, image, crops, shared };\n";
  writeFileSync(module, snippet!.replace('"photo.jpg"', JSON.stringify(photo)) + exported);
  const result = (await import(module)) as {
    header: { format: string };
    image: { width: number; height: number };
    crops: unknown[];
    shared: Uint8Array;
  };
  expect(result.header.format).toBe("jpeg");
  expect([result.image.width, result.image.height]).toEqual([640, 480]);
  expect(result.crops).toHaveLength(6);
  expect([...result.shared.subarray(0, 2)]).toEqual([0xff, 0xd8]);
});
