import { exifr } from "./exifr.js";
import { containsAscii, utf8 } from "./bytes.js";

/** The XMP properties provenance looks at. */
export interface XmpFacts {
  /** Iptc4xmpExt:DigitalSourceType (a NewsCodes URI). */
  digitalSourceType?: string;
  /** xmp:CreatorTool. */
  creatorTool?: string;
  /** tiff:Software. */
  software?: string;
  /** exif:UserComment (Draw Things and some WebUIs write their parameters here). */
  userComment?: string;
  /** dc:description. */
  description?: string;
}

const namespaces = {
  iptcExt: "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
  xmp: "http://ns.adobe.com/xap/1.0/",
  tiff: "http://ns.adobe.com/tiff/1.0/",
  exif: "http://ns.adobe.com/exif/1.0/",
  dc: "http://purl.org/dc/elements/1.1/",
} as const;

/** The usual prefixes, for packets whose xmlns declarations exifr did not report. */
const usualPrefixes: Record<keyof typeof namespaces, string> = {
  iptcExt: "Iptc4xmpExt",
  xmp: "xmp",
  tiff: "tiff",
  exif: "exif",
  dc: "dc",
};

/**
 * Reads XMP packets with exifr's XMP parser (namespaces resolved through the packet's own xmlns
 * declarations, so any prefix works). When exifr fails on a packet, DigitalSourceType is still
 * looked for in the raw text, so a sloppy packet cannot hide an AI declaration.
 */
export async function readXmp(packets: readonly Uint8Array[], problems: string[]): Promise<XmpFacts> {
  const facts: XmpFacts = {};
  for (const packet of packets) {
    let parsed: unknown;
    try {
      // Always bytes, never a string: exifr takes a string for a file path or URL.
      parsed = await exifr.sidecar(packet, { mergeOutput: false }, "xmp");
    } catch (error) {
      problems.push(`XMP could not be parsed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (isRecord(parsed)) {
      const prefixes = prefixesOf(parsed);
      const property = (ns: keyof typeof namespaces, name: string): string | undefined => {
        for (const prefix of prefixes[ns]) {
          const group = parsed[prefix];
          if (isRecord(group)) {
            const text = textOf(group[name]);
            if (text !== undefined) return text;
          }
        }
        return undefined;
      };
      facts.digitalSourceType ??= property("iptcExt", "DigitalSourceType");
      facts.creatorTool ??= property("xmp", "CreatorTool");
      facts.software ??= property("tiff", "Software");
      facts.userComment ??= property("exif", "UserComment");
      facts.description ??= property("dc", "description");
    }
    facts.digitalSourceType ??= rawDigitalSourceType(packet);
  }
  return facts;
}

/** Prefixes bound to each namespace in exifr's output (its `xmlns` group), plus the usual one. */
function prefixesOf(parsed: Record<string, unknown>): Record<keyof typeof namespaces, string[]> {
  const declared = isRecord(parsed.xmlns) ? parsed.xmlns : {};
  const result = {} as Record<keyof typeof namespaces, string[]>;
  for (const key of Object.keys(namespaces) as (keyof typeof namespaces)[]) {
    const prefixes = Object.entries(declared)
      .filter(([, uri]) => uri === namespaces[key])
      .map(([prefix]) => prefix);
    if (!prefixes.includes(usualPrefixes[key])) prefixes.push(usualPrefixes[key]);
    result[key] = prefixes;
  }
  return result;
}

/** exifr gives a plain string, `{value}` for a tag with attributes, `{resource}`, or an array. */
function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) return value.map(textOf).find((text) => text !== undefined);
  if (isRecord(value)) return textOf(value.value) ?? textOf(value.resource) ?? textOf(value.li);
  return undefined;
}

/** DigitalSourceType as an attribute, an element or an rdf:resource, found in the raw packet. */
function rawDigitalSourceType(packet: Uint8Array): string | undefined {
  if (!containsAscii(packet, "DigitalSourceType")) return undefined;
  // Only the first 1 MiB: the property sits in the main packet, and the regex stays linear.
  const text = utf8(packet, 0, Math.min(packet.length, 1 << 20));
  const match =
    /DigitalSourceType\s*(?:=\s*["']([^"'<>]{1,300})["']|[^>]{0,300}?rdf:resource\s*=\s*["']([^"'<>]{1,300})["']|>\s*([^<\s]{1,300})\s*<)/.exec(
      text,
    );
  return match === null ? undefined : (match[1] ?? match[2] ?? match[3]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
