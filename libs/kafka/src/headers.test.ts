import { describe, expect, it } from "vitest";
import { decodeHeaders } from "./headers.js";

describe("decodeHeaders", () => {
  it("decodes bytes and text as UTF-8, the last value of a repeated key winning", () => {
    expect(
      decodeHeaders({
        "content-type": Buffer.from("application/x-protobuf"),
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        repeated: [Buffer.from("first"), "last"],
        "mirage-error": Buffer.from("café"),
        absent: undefined,
      }),
    ).toEqual({
      "content-type": "application/x-protobuf",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      repeated: "last",
      "mirage-error": "café",
    });
  });

  it("gives an empty record for a message without headers", () => {
    expect(decodeHeaders(undefined)).toEqual({});
    expect(decodeHeaders({ empty: [] })).toEqual({});
  });
});
