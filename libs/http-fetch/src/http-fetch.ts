import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { MirageError } from "@mirage/errors";
import { isInternalAddress, type HostAllowList } from "./address-policy.js";

/** Options of {@link fetchHttp}. */
export interface HttpFetchOptions {
  allow: HostAllowList;
  maxBytes: number;
  timeoutMs: number;
  /** Redirects followed (each hop checked again). Default 3. */
  maxRedirects?: number;
  /** Sent as User-Agent. Default "mirage-mesh". */
  userAgent?: string;
}

/**
 * Fetches an http(s) URL with SSRF defences (image URLs come from sellers, so they are hostile):
 * the host must be allow-listed; the address is resolved once, checked (internal addresses
 * refused unless the host is listed exactly), and the connection goes to that checked address
 * (no DNS rebinding); redirects are followed by hand and checked again; the body is capped in
 * bytes and time.
 */
export async function fetchHttp(url: string, options: HttpFetchOptions): Promise<Uint8Array> {
  const deadline = Date.now() + options.timeoutMs;
  let current = new URL(url);
  for (let hop = 0; hop <= (options.maxRedirects ?? 3); hop++) {
    const result = await requestOnce(current, options, deadline);
    if (result.kind === "body") return result.body;
    current = new URL(result.location, current);
  }
  throw new MirageError("PERMISSION_DENIED", `${url}: too many redirects`, { reason: "too-many-redirects" });
}

type Outcome = { kind: "body"; body: Uint8Array } | { kind: "redirect"; location: string };

function requestOnce(url: URL, options: HttpFetchOptions, deadline: number): Promise<Outcome> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(
      new MirageError("PERMISSION_DENIED", `${url.protocol} redirects are not followed`, {
        reason: "uri-scheme-not-allowed",
      }),
    );
  }
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!options.allow.admits(host, port)) {
    return Promise.reject(
      new MirageError("PERMISSION_DENIED", `host ${host} is not in MIRAGE_HTTP_ALLOW`, {
        reason: "host-not-allowed",
        details: { host },
      }),
    );
  }
  const internalAllowed = options.allow.listsExactly(host, port);
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 4);
      const refused = addresses.find((a) => isInternalAddress(a.address));
      if (refused && !internalAllowed) {
        return callback(
          new MirageError(
            "PERMISSION_DENIED",
            `${hostname} resolves to the internal address ${refused.address}`,
            {
              reason: "internal-address",
              details: { host: hostname, address: refused.address },
            },
          ) as unknown as NodeJS.ErrnoException,
          "",
          4,
        );
      }
      const chosen = addresses[0]!;
      if (lookupOptions.all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [chosen]);
      callback(null, chosen.address, chosen.family);
    });
  };
  // An IP literal never goes through lookup: check it here.
  if (!internalAllowed && /^[\d.]+$|:/.test(host) && isInternalAddress(host)) {
    return Promise.reject(
      new MirageError("PERMISSION_DENIED", `${host} is an internal address`, {
        reason: "internal-address",
        details: { host },
      }),
    );
  }
  const client = url.protocol === "https:" ? https : http;
  return new Promise<Outcome>((resolve, reject) => {
    const remaining = Math.max(1, deadline - Date.now());
    const request = client.get(
      url,
      { lookup, timeout: remaining, headers: { "user-agent": options.userAgent ?? "mirage-mesh" } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ kind: "redirect", location: response.headers.location });
          return;
        }
        if (status !== 200) {
          response.resume();
          reject(
            new MirageError(
              status === 404 ? "NOT_FOUND" : "UNAVAILABLE",
              `${url.href} answered HTTP ${status}`,
              {
                reason: "fetch-failed",
                details: { status },
              },
            ),
          );
          return;
        }
        const declared = Number(response.headers["content-length"] ?? 0);
        if (declared > options.maxBytes) {
          response.destroy();
          reject(tooLarge(url, options.maxBytes));
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        response.on("data", (chunk: Buffer) => {
          total += chunk.byteLength;
          if (total > options.maxBytes) {
            response.destroy();
            reject(tooLarge(url, options.maxBytes));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => resolve({ kind: "body", body: new Uint8Array(Buffer.concat(chunks)) }));
        response.on("error", (cause) => reject(fetchFailed(url, cause)));
      },
    );
    const timer = setTimeout(() => request.destroy(timeoutError(url)), remaining);
    request.on("close", () => clearTimeout(timer));
    request.on("timeout", () => request.destroy(timeoutError(url)));
    request.on("error", (cause) => reject(cause instanceof MirageError ? cause : fetchFailed(url, cause)));
  });
}

function tooLarge(url: URL, limit: number): MirageError {
  return new MirageError("INVALID_ARGUMENT", `${url.href} is larger than the limit of ${limit} bytes`, {
    reason: "image-too-large",
    details: { limit },
  });
}

function timeoutError(url: URL): MirageError {
  return new MirageError("DEADLINE_EXCEEDED", `fetching ${url.href} took too long`, {
    reason: "fetch-timeout",
  });
}

function fetchFailed(url: URL, cause: unknown): MirageError {
  return new MirageError("UNAVAILABLE", `cannot fetch ${url.href}: ${(cause as Error).message}`, {
    reason: "fetch-failed",
    cause,
  });
}
