import sharp from "sharp";

// libvips caches operations and their pixel buffers (50 MB, 100 files, 20 ops by default): over
// thousands of distinct uploads that is memory held for nothing, since no image is seen twice.
// Set once, for the whole process, when this package is first imported.
sharp.cache(false);

export { sharp };

/** libvips' message without the noise lines its loaders add ("source: bad seek to ..."). */
export function vipsMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("source: bad seek"));
  return lines.join("; ") || "no message from libvips";
}
