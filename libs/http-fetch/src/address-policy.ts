import ipaddr from "ipaddr.js";

/** Address ranges an upload URL may never reach unless explicitly listed: internal hosts. */
const blockedRanges = new Set([
  "unspecified",
  "broadcast",
  "multicast",
  "linkLocal",
  "loopback",
  "carrierGradeNat",
  "private",
  "reserved",
  "uniqueLocal",
  "ipv4Mapped",
  "rfc6145",
  "rfc6052",
  "6to4",
  "teredo",
  "benchmarking",
  "amt",
  "as112",
  "deprecated",
  "orchid2",
  "droneRemoteIdProtocolEntityTags",
]);

/** True when an IP address is internal (private, loopback, link-local, …) rather than public unicast. */
export function isInternalAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  // ::ffff:10.0.0.1 is 10.0.0.1.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return blockedRanges.has(parsed.range());
}

/**
 * MIRAGE_HTTP_ALLOW, parsed: entries are `host`, `host:port`, `*.suffix` or `*`. A wildcard admits
 * public addresses only; an internal address is reached only when its host or IP is listed exactly.
 */
export interface HostAllowList {
  /** True when the URL's host (and port) may be fetched at all. */
  admits(host: string, port: number): boolean;
  /** True when the host is listed exactly, so internal addresses behind it are allowed. */
  listsExactly(host: string, port: number): boolean;
}

/** Builds the allow-list of http(s) hosts. */
export function createHostAllowList(entries: string[]): HostAllowList {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of entries.map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    if (raw === "*") any = true;
    else if (raw.startsWith("*.")) suffixes.push(raw.slice(1));
    else exact.add(raw);
  }
  const listsExactly = (host: string, port: number) => {
    const h = normaliseHost(host);
    return exact.has(h) || exact.has(`${h}:${port}`);
  };
  return {
    listsExactly,
    admits: (host, port) =>
      any || listsExactly(host, port) || suffixes.some((s) => normaliseHost(host).endsWith(s)),
  };
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, "");
}
