/**
 * Kafka headers as plain strings. On the wire a header value is bytes and a key may repeat; every
 * header Mirage Mesh reads or writes (trace context, content type, dead-letter reasons) is UTF-8
 * text with one value, so the rest of the code sees `Record<string, string>`.
 */

/** Header values as kafkajs hands them over (bytes, text, or a list when a key repeats). */
export type RawHeaders = Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;

/** Decodes raw Kafka headers as UTF-8; when a key repeats, the last value wins (as Java's lastHeader). */
export function decodeHeaders(raw: RawHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === undefined) return headers;
  for (const [key, value] of Object.entries(raw)) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last === undefined) continue;
    headers[key] = typeof last === "string" ? last : last.toString("utf8");
  }
  return headers;
}
