import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { MirageError } from "@mirage/errors";
import { fetchHttp, type HostAllowList } from "@mirage/http-fetch";

/** One thing to scan: a local file or an http(s) URL. */
export interface ScanInput {
  /** What the user named (a path or a URL), shown in output as `path`. */
  path: string;
  kind: "file" | "url";
}

/** File extensions picked up when a folder is scanned (a file named explicitly is always scanned). */
export const imageExtensions = new Set([
  ".jpg",
  ".jpeg",
  ".png",
  ".webp",
  ".avif",
  ".tif",
  ".tiff",
  ".gif",
  ".heic",
  ".heif",
]);

/** Expands files, folders (recursively, image extensions only, sorted) and URLs into inputs. */
export async function expandInputs(args: string[]): Promise<ScanInput[]> {
  const inputs: ScanInput[] = [];
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      inputs.push({ path: arg, kind: "url" });
      continue;
    }
    const info = await stat(arg).catch((cause: unknown) => {
      throw new MirageError("NOT_FOUND", `${arg}: no such file or folder`, {
        reason: "input-not-found",
        cause,
      });
    });
    if (info.isDirectory()) inputs.push(...(await walk(arg)));
    else inputs.push({ path: arg, kind: "file" });
  }
  return inputs;
}

async function walk(dir: string): Promise<ScanInput[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const found: ScanInput[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile() && imageExtensions.has(extname(entry.name).toLowerCase()))
      found.push({ path, kind: "file" });
  }
  return found;
}

/** Limits on reading one input. */
export interface ReadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Hosts a URL may reach: `createHostAllowList(["*", …])` admits public addresses, internal ones only when listed. */
  allow: HostAllowList;
}

/**
 * Reads an input's bytes: a file, or an http(s) URL fetched with the gateway's SSRF defences
 * (internal addresses refused unless allowed, every redirect checked, at most 5), a size cap
 * and a timeout: a list of URLs taken from listings is as hostile as an upload event.
 */
export async function readInput(input: ScanInput, limits: ReadLimits): Promise<Uint8Array> {
  if (input.kind === "file") {
    const info = await stat(input.path);
    if (info.size > limits.maxBytes) {
      throw new MirageError(
        "INVALID_ARGUMENT",
        `${input.path} is ${info.size} bytes, more than the limit of ${limits.maxBytes}`,
        {
          reason: "image-too-large",
          details: { bytes: info.size, limit: limits.maxBytes },
        },
      );
    }
    return new Uint8Array(await readFile(input.path));
  }
  return fetchHttp(input.path, { ...limits, maxRedirects: 5 });
}
