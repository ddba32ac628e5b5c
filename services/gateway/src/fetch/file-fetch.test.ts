import { mkdtemp, mkdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { fetchFile } from "./file-fetch.js";

describe("fetchFile", () => {
  it("reads only under the roots, links resolved", async () => {
    const base = await mkdtemp(join(tmpdir(), "mirage-files-"));
    const root = join(base, "root");
    await mkdir(root);
    await writeFile(join(root, "a.jpg"), "jpeg");
    await writeFile(join(base, "secret.txt"), "secret");
    await symlink(join(base, "secret.txt"), join(root, "link.jpg"));
    await expect(fetchFile(pathToFileURL(join(root, "a.jpg")).href, [root], 100)).resolves.toEqual(
      new Uint8Array(Buffer.from("jpeg")),
    );
    await expect(fetchFile(pathToFileURL(join(base, "secret.txt")).href, [root], 100)).rejects.toMatchObject({
      reason: "file-outside-roots",
    });
    await expect(fetchFile(pathToFileURL(join(root, "link.jpg")).href, [root], 100)).rejects.toMatchObject({
      reason: "file-outside-roots",
    });
    await expect(fetchFile(pathToFileURL(join(root, "a.jpg")).href, [root], 2)).rejects.toMatchObject({
      reason: "image-too-large",
    });
    await expect(fetchFile(pathToFileURL(join(root, "none.jpg")).href, [root], 100)).rejects.toMatchObject({
      reason: "file-not-found",
    });
    await expect(fetchFile(pathToFileURL(root).href, [root], 100)).rejects.toMatchObject({
      reason: "not-a-file",
    });
  });
});
