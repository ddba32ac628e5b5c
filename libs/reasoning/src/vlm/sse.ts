import { vlmFailure } from "./failure.js";

/** Longest line a server may send without a line break; more is not an event stream. */
const MAX_LINE_CHARS = 1024 * 1024;

/** Incremental decoder of a `text/event-stream` body: text in, the `data` of each event out. */
export interface SseDecoder {
  /** Feeds the next piece of the body (any split); returns the events it completed, in order. */
  push(text: string): string[];
  /** The end of the body: an event left without its blank line still counts. */
  end(): string[];
}

/**
 * Creates a decoder that follows the WHATWG event-stream rules as far as chat completions use
 * them: lines end in LF, CRLF or CR; `data:` lines of one event join with LF; a blank line ends
 * the event; comments (`:`) and other fields (`event`, `id`, `retry`) are ignored.
 */
export function createSseDecoder(): SseDecoder {
  let pending = "";
  let data: string[] = [];
  let hasData = false;
  // A CR at the end of one piece may be the first half of a CRLF split across two pieces.
  let afterCr = false;

  function line(text: string, out: string[]): void {
    if (text === "") {
      if (hasData) out.push(data.join("\n"));
      data = [];
      hasData = false;
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    if (field !== "data") return;
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    data.push(value);
    hasData = true;
  }

  return {
    push(text) {
      const out: string[] = [];
      let start = 0;
      let i = 0;
      if (afterCr && text.startsWith("\n")) start = i = 1;
      afterCr = false;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(pending + text.slice(start, i), out);
        pending = "";
        if (c === 13) {
          if (i + 1 === text.length) afterCr = true;
          else if (text.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      pending += text.slice(start);
      if (pending.length > MAX_LINE_CHARS) {
        throw vlmFailure(
          "vlm-malformed-answer",
          `the event stream sent a line of over ${MAX_LINE_CHARS} characters`,
        );
      }
      return out;
    },
    end() {
      const out: string[] = [];
      if (pending !== "") line(pending, out);
      pending = "";
      line("", out);
      return out;
    },
  };
}
