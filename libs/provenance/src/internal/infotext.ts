/**
 * The "infotext" AUTOMATIC1111's Stable Diffusion WebUI and its descendants (Forge, SD.Next,
 * Fooocus in A1111 mode, many hosted services) write: the prompt, an optional "Negative prompt:"
 * line, and a last line of `Key: value` pairs that starts with "Steps: N".
 */
export interface Infotext {
  /** The tool, from the Version/App fields where present. */
  tool: string;
  /** Parsed `Key: value` pairs of the parameter line. */
  parameters: Record<string, string>;
}

// Bounded quantifiers keep every pattern linear on hostile text (no nested or unbounded backtracking).
const STEPS_LINE = /(?:^|\n)[ \t]{0,16}(Steps: \d{1,6},[^\n]{0,16384})/;

/** Parses infotext, or returns undefined when `text` is not one. */
export function parseInfotext(text: string): Infotext | undefined {
  // The parameter line is short; look only at the tail of very long texts.
  const tail = text.length > 65536 ? text.slice(-65536) : text;
  const match = STEPS_LINE.exec(tail);
  if (match === null) return undefined;
  const line = match[1]!;
  const parameters: Record<string, string> = {};
  // AUTOMATIC1111's own pattern: keys of words, values quoted (with escapes) or up to the comma.
  const pair = /\s{0,16}([\w ./+-]{1,64}):\s{0,16}("(?:\\.|[^\\"]){1,4096}"|[^,]{0,4096})(?:,|$)/g;
  let found: RegExpExecArray | null;
  let count = 0;
  while ((found = pair.exec(line)) !== null && count < 200) {
    if (found[0] === "") break;
    parameters[found[1]!.trim()] = found[2]!.trim().replace(/^"(.*)"$/, "$1");
    count++;
  }
  // One more field besides Steps, so that a stray "Steps: 3," in a caption does not count.
  if (!("Sampler" in parameters || "Seed" in parameters || "CFG scale" in parameters)) return undefined;
  return { tool: toolOf(parameters, tail), parameters };
}

function toolOf(parameters: Record<string, string>, text: string): string {
  const version = parameters.Version ?? "";
  if (/fooocus/i.test(version) || /Fooocus/.test(text)) return "Fooocus";
  if (/^f\d/.test(version) || /forge/i.test(version)) return "Stable Diffusion WebUI Forge";
  if (/sd\.?next/i.test(parameters.App ?? "")) return "SD.Next";
  if (/^v?\d/.test(version)) return "AUTOMATIC1111 Stable Diffusion WebUI";
  return "Stable Diffusion WebUI (AUTOMATIC1111-style infotext)";
}
