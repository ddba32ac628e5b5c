/** Small, bounds-checked readers over untrusted bytes. Callers check lengths before reading. */

export function u16be(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

export function u32le(bytes: Uint8Array, at: number): number {
  return ((bytes[at + 3]! << 24) >>> 0) + ((bytes[at + 2]! << 16) | (bytes[at + 1]! << 8) | bytes[at]!);
}

/** The bytes as ISO-8859-1 text (one character per byte), as PNG tEXt and chunk names are. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, end - start)).toString("latin1");
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: false });

/** The bytes as UTF-8 text; malformed sequences become U+FFFD rather than failing. */
export function utf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return utf8Decoder.decode(bytes.subarray(start, end));
}

/** True when `bytes` holds `ascii` at `at`. */
export function startsWithAscii(bytes: Uint8Array, ascii: string, at = 0): boolean {
  if (at + ascii.length > bytes.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** Index of the first NUL at or after `from`, or -1. */
export function indexOfNul(bytes: Uint8Array, from: number, end = bytes.length): number {
  const at = bytes.subarray(from, end).indexOf(0);
  return at < 0 ? -1 : from + at;
}

/** True when the ASCII `needle` occurs anywhere in `bytes` (a fast native scan). */
export function containsAscii(bytes: Uint8Array, needle: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle, 0, "latin1") >= 0;
}
