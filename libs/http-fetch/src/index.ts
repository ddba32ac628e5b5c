/**
 * Fetching images from http(s) URLs that may be hostile: an allow-list of hosts, internal
 * addresses refused (checked after DNS, on every redirect, pinned for the connection), size and
 * time capped.
 *
 * ```ts
 * import { createHostAllowList, fetchHttp } from "@mirage/http-fetch";
 * const bytes = await fetchHttp("https://cdn.example.com/a.jpg", {
 *   allow: createHostAllowList(["*"]), // any public host; internal ones only when listed exactly
 *   maxBytes: 20 * 1024 * 1024,
 *   timeoutMs: 10_000,
 * });
 * ```
 */
export { createHostAllowList, isInternalAddress } from "./address-policy.js";
export type { HostAllowList } from "./address-policy.js";
export { fetchHttp } from "./http-fetch.js";
export type { HttpFetchOptions } from "./http-fetch.js";
