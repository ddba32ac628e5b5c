import * as exifrModule from "exifr";

/**
 * exifr, whichever way it was loaded: Node imports its UMD build (functions on `default`), Vite and
 * vitest its ESM build (named exports, no `sidecar` on `default`).
 */
export const exifr: Pick<typeof exifrModule, "parse" | "sidecar"> =
  typeof exifrModule.sidecar === "function" ? exifrModule : exifrModule.default;
