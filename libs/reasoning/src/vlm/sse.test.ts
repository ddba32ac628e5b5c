import { describe, expect, it } from "vitest";
import { createSseDecoder } from "./sse.js";

function decode(pieces: string[]): string[] {
  const decoder = createSseDecoder();
  return [...pieces.flatMap((p) => decoder.push(p)), ...decoder.end()];
}

describe("createSseDecoder", () => {
  const body = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: x\nid: 7\ndata: {"b":2}\n\ndata: [DONE]\n\n';

  it("yields the data of each event, skipping comments and other fields", () => {
    expect(decode([body])).toEqual(['{"a":1}', '{"b":2}', "[DONE]"]);
  });

  it("gives the same events however the body is split, down to one character at a time", () => {
    for (const size of [1, 2, 3, 5, 13]) {
      const pieces: string[] = [];
      for (let i = 0; i < body.length; i += size) pieces.push(body.slice(i, i + size));
      expect(decode(pieces)).toEqual(['{"a":1}', '{"b":2}', "[DONE]"]);
    }
  });

  it("accepts CRLF and CR line ends, also with CRLF split across pieces", () => {
    expect(decode(["data: one\r", "\n\r", "\ndata: two\r\r"])).toEqual(["one", "two"]);
  });

  it("joins the data lines of one event with a line feed; a field without a space keeps its text", () => {
    expect(decode(["data:first\ndata: second\n\n"])).toEqual(["first\nsecond"]);
  });

  it("keeps an event that the body ends without its blank line", () => {
    expect(decode(['data: {"last":true}'])).toEqual(['{"last":true}']);
  });

  it("rejects a line that never ends", () => {
    const decoder = createSseDecoder();
    expect(() => decoder.push(`data: ${"x".repeat(1024 * 1024 + 1)}`)).toThrow(
      expect.objectContaining({ reason: "vlm-malformed-answer" }),
    );
  });
});
