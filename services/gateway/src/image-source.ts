import { MirageError } from "@mirage/errors";
import { createHostAllowList, fetchHttp } from "@mirage/http-fetch";
import { fetchFile } from "./fetch/file-fetch.js";
import type { UploadRequest } from "./upload-event.js";

/** Options of {@link createImageSource}. */
export interface ImageSourceOptions {
  fileRoots: string[];
  httpAllow: string[];
  maxBytes: number;
  timeoutMs: number;
}

/** Reads an upload's bytes: inline, file:// (under the roots) or http(s) (allow-listed, SSRF-checked). */
export type ImageSource = (source: UploadRequest["source"]) => Promise<Uint8Array>;

/**
 * The gateway is the only component that reads image bytes from outside. s3:// is not supported
 * (no S3-compatible server to test against here): it is refused with a clear reason.
 */
export function createImageSource(options: ImageSourceOptions): ImageSource {
  const allow = createHostAllowList(options.httpAllow);
  return async (source) => {
    if (source.kind === "inline") {
      if (source.content.byteLength > options.maxBytes) {
        throw new MirageError(
          "INVALID_ARGUMENT",
          `inline image is ${source.content.byteLength} bytes, more than ${options.maxBytes}`,
          {
            reason: "image-too-large",
          },
        );
      }
      return source.content;
    }
    const scheme = source.uri.slice(0, source.uri.indexOf(":")).toLowerCase();
    switch (scheme) {
      case "file":
        return fetchFile(source.uri, options.fileRoots, options.maxBytes);
      case "http":
      case "https":
        return fetchHttp(source.uri, {
          allow,
          maxBytes: options.maxBytes,
          timeoutMs: options.timeoutMs,
          userAgent: "mirage-mesh-gateway",
        });
      default:
        throw new MirageError(
          "INVALID_ARGUMENT",
          `URI scheme ${scheme || "(none)"} is not supported: use file://, http(s):// or contentBase64`,
          {
            reason: "uri-scheme-not-allowed",
            details: { scheme },
          },
        );
    }
  };
}
