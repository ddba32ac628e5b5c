import { open, realpath } from "node:fs/promises";
import { sep } from "node:path";
import { fileURLToPath } from "node:url";
import { MirageError } from "@mirage/errors";

/**
 * Reads a file:// URI for the gateway: only under the MIRAGE_FILE_ROOTS (after resolving links, so
 * a symlink cannot lead out), only regular files, capped in bytes.
 */
export async function fetchFile(uri: string, roots: string[], maxBytes: number): Promise<Uint8Array> {
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch (cause) {
    throw new MirageError("INVALID_ARGUMENT", `${uri} is not a valid file URI`, {
      reason: "invalid-uri",
      cause,
    });
  }
  const real = await realpath(path).catch((cause: unknown) => {
    throw new MirageError("NOT_FOUND", `${uri}: no such file`, { reason: "file-not-found", cause });
  });
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  const inside = realRoots.some(
    (root) => root !== null && (real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)),
  );
  if (!inside) {
    throw new MirageError("PERMISSION_DENIED", `${uri} is outside MIRAGE_FILE_ROOTS`, {
      reason: "file-outside-roots",
      details: { path: real },
    });
  }
  const handle = await open(real, "r");
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new MirageError("INVALID_ARGUMENT", `${uri} is not a regular file`, { reason: "not-a-file" });
    if (info.size > maxBytes) {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `${uri} is ${info.size} bytes, more than the limit of ${maxBytes}`,
        {
          reason: "image-too-large",
          details: { bytes: info.size, limit: maxBytes },
        },
      );
    }
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
  } finally {
    await handle.close();
  }
}
