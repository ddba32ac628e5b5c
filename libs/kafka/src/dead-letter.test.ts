import { MirageError } from "@mirage/errors";
import { describe, expect, it } from "vitest";
import type { ConsumedMessage } from "./consumed-message.js";
import { deadLetterHeaders, deadLetterMessage, readDeadLetterHeaders } from "./dead-letter.js";

const original: ConsumedMessage = {
  topic: "mirage.uploads.v1",
  partition: 2,
  offset: "41",
  key: "img-7",
  value: Buffer.from([0x7b, 0x00, 0xff]),
  headers: {
    "content-type": "application/json",
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  },
  timestamp: 1_700_000_000_000,
};

describe("dead letters", () => {
  it("names the headers as DESIGN.md pins them", () => {
    expect(deadLetterHeaders("undecodable-image", "not a JPEG, PNG or WebP")).toEqual({
      "mirage-error-code": "undecodable-image",
      "mirage-error": "not a JPEG, PNG or WebP",
    });
  });

  it("keeps key, value bytes and headers, and adds the reason of a MirageError", () => {
    const error = new MirageError("INVALID_ARGUMENT", "image is 90000x90000 pixels", {
      reason: "image-too-large",
    });
    const letter = deadLetterMessage(original, error);
    expect(letter.key).toBe("img-7");
    expect(letter.value).toBe(original.value);
    expect(letter.headers).toEqual({
      ...original.headers,
      "mirage-error-code": "image-too-large",
      "mirage-error": "image is 90000x90000 pixels",
    });
    expect(readDeadLetterHeaders(letter.headers ?? {})).toEqual({
      code: "image-too-large",
      reason: "image is 90000x90000 pixels",
    });
  });

  it("normalises anything else, and lets the caller drop a key it cannot trust", () => {
    const letter = deadLetterMessage(original, new SyntaxError("Unexpected token"), { key: null });
    expect(letter.key).toBeNull();
    expect(letter.headers).toMatchObject({
      "mirage-error-code": "unprocessable-event",
      "mirage-error": "Unexpected token",
    });
  });

  it("overrides dead-letter headers of an event that failed before", () => {
    const again = {
      ...original,
      headers: { ...original.headers, ...deadLetterHeaders("old", "old reason") },
    };
    const letter = deadLetterMessage(
      again,
      new MirageError("NOT_FOUND", "gone", { reason: "image-not-found" }),
    );
    expect(readDeadLetterHeaders(letter.headers ?? {})).toEqual({ code: "image-not-found", reason: "gone" });
    expect(readDeadLetterHeaders(original.headers)).toBeUndefined();
  });
});
