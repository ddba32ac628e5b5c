import fc from "fast-check";
import { MirageError } from "@mirage/errors";
import { describe, expect, it } from "vitest";
import { parseUploadEvent, protobufContentType } from "./upload-event.js";

/** Either a valid request or a MirageError INVALID_ARGUMENT with a reason: never anything else. */
function parsesOrRefuses(value: Buffer, headers: Record<string, string>): void {
  try {
    const request = parseUploadEvent(value, headers);
    expect(request.eventId.length).toBeGreaterThan(0);
    expect(request.imageId.length).toBeGreaterThan(0);
  } catch (error) {
    expect(error).toBeInstanceOf(MirageError);
    expect((error as MirageError).code).toBe("INVALID_ARGUMENT");
    expect((error as MirageError).reason).toMatch(
      /^(empty-event|invalid-json|invalid-event|invalid-protobuf)$/,
    );
  }
}

describe("parseUploadEvent on hostile input", () => {
  it("survives random bytes as JSON and as protobuf", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, proto) =>
        parsesOrRefuses(Buffer.from(bytes), proto ? { "content-type": protobufContentType } : {}),
      ),
      { numRuns: 500 },
    );
  });

  it("survives arbitrary JSON values and near-miss events", () => {
    const nearMiss = fc.record(
      {
        eventId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        imageId: fc.oneof(fc.string(), fc.array(fc.string())),
        uri: fc.oneof(fc.string(), fc.webUrl()),
        contentBase64: fc.oneof(fc.base64String(), fc.string()),
        policy: fc.oneof(fc.constantFrom("default", "strict"), fc.string()),
        uploadedAt: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearMiss), (value) =>
        parsesOrRefuses(Buffer.from(JSON.stringify(value)), {}),
      ),
      { numRuns: 1000 },
    );
  });

  it("refuses deeply nested JSON without blowing the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    parsesOrRefuses(Buffer.from(deep), {});
    parsesOrRefuses(Buffer.from(`{"eventId":"e","imageId":"i","uri":${deep}}`), {});
  });
});
