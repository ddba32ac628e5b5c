import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Policy, UploadEventSchema } from "@mirage/contracts";
import { describe, expect, it } from "vitest";
import { parseUploadEvent, protobufContentType } from "./upload-event.js";

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe("parseUploadEvent", () => {
  it("reads the JSON contract, inline or by URI", () => {
    expect(
      parseUploadEvent(json({ eventId: "e1", imageId: "i1", contentBase64: "aGk=", policy: "strict" }), {}),
    ).toEqual({
      eventId: "e1",
      imageId: "i1",
      source: { kind: "inline", content: new Uint8Array(Buffer.from("hi")) },
      tenant: "",
      policy: "strict",
    });
    expect(
      parseUploadEvent(
        json({
          eventId: "e2",
          imageId: "i2",
          uri: "file:///data/a.jpg",
          tenant: "t",
          uploadedAt: "2026-11-28T12:00:00Z",
        }),
        {},
      ),
    ).toMatchObject({
      source: { kind: "uri", uri: "file:///data/a.jpg" },
      tenant: "t",
      uploadedAt: "2026-11-28T12:00:00Z",
      policy: "default",
    });
  });

  it("reads the protobuf form when the content-type says so", () => {
    const value = toBinary(
      UploadEventSchema,
      create(UploadEventSchema, {
        eventId: "e3",
        imageId: "i3",
        source: { case: "content", value: new Uint8Array([1, 2]) },
        policy: Policy.STRICT,
        uploadedAt: timestampFromDate(new Date("2026-11-28T12:00:00Z")),
      }),
    );
    expect(parseUploadEvent(Buffer.from(value), { "content-type": protobufContentType })).toEqual({
      eventId: "e3",
      imageId: "i3",
      source: { kind: "inline", content: new Uint8Array([1, 2]) },
      tenant: "",
      uploadedAt: "2026-11-28T12:00:00.000Z",
      policy: "strict",
    });
  });

  it.each([
    ["empty", null, "empty-event"],
    ["bad JSON", Buffer.from("{not json"), "invalid-json"],
    ["missing imageId", json({ eventId: "e", uri: "file:///a" }), "invalid-event"],
    [
      "both sources",
      json({ eventId: "e", imageId: "i", uri: "file:///a", contentBase64: "aGk=" }),
      "invalid-event",
    ],
    ["no source", json({ eventId: "e", imageId: "i" }), "invalid-event"],
    ["bad base64", json({ eventId: "e", imageId: "i", contentBase64: "%%%" }), "invalid-event"],
    [
      "bad policy",
      json({ eventId: "e", imageId: "i", uri: "file:///a", policy: "lenient" }),
      "invalid-event",
    ],
    ["an array", json([1, 2]), "invalid-event"],
  ])("refuses %s with a reason", (_name, value, reason) => {
    expect(() => parseUploadEvent(value, {})).toThrow(expect.objectContaining({ reason }));
  });

  it("refuses protobuf garbage and protobuf without ids", () => {
    expect(() =>
      parseUploadEvent(Buffer.from([0xff, 0xff, 0xff]), { "content-type": protobufContentType }),
    ).toThrow(expect.objectContaining({ reason: "invalid-protobuf" }));
    const noIds = toBinary(
      UploadEventSchema,
      create(UploadEventSchema, { source: { case: "uri", value: "file:///a" } }),
    );
    expect(() => parseUploadEvent(Buffer.from(noIds), { "content-type": protobufContentType })).toThrow(
      expect.objectContaining({ reason: "invalid-event" }),
    );
  });
});
