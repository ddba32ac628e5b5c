import { fromBinary } from "@bufbuild/protobuf";
import { Policy, UploadEventSchema } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { z } from "zod";

/** An upload event, validated, from either wire form. */
export interface UploadRequest {
  eventId: string;
  imageId: string;
  source: { kind: "uri"; uri: string } | { kind: "inline"; content: Uint8Array };
  tenant: string;
  uploadedAt?: string;
  policy: "default" | "strict";
}

/** The JSON form of DESIGN.md "Upload event". */
const uploadEventJson = z
  .object({
    eventId: z.string().min(1).max(200),
    imageId: z.string().min(1).max(500),
    uri: z.string().min(1).max(4096).optional(),
    contentBase64: z.string().min(1).optional(),
    tenant: z.string().max(200).optional(),
    uploadedAt: z.iso.datetime({ offset: true }).optional(),
    policy: z.enum(["default", "strict"]).optional(),
  })
  .refine((e) => (e.uri === undefined) !== (e.contentBase64 === undefined), {
    message: "exactly one of uri and contentBase64 is required",
  });

/** The content type that marks a protobuf `mirage.v1.UploadEvent`. */
export const protobufContentType = "application/x-protobuf";

/**
 * Parses an upload event: protobuf when the `content-type` header says so, JSON otherwise. Every
 * failure is a MirageError INVALID_ARGUMENT whose reason a dead letter carries.
 */
export function parseUploadEvent(value: Buffer | null, headers: Record<string, string>): UploadRequest {
  if (!value || value.byteLength === 0) {
    throw new MirageError("INVALID_ARGUMENT", "the event has no value", { reason: "empty-event" });
  }
  return headers["content-type"] === protobufContentType ? fromProtobuf(value) : fromJson(value);
}

function fromJson(value: Buffer): UploadRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString("utf8"));
  } catch (cause) {
    throw new MirageError("INVALID_ARGUMENT", `the event is not valid JSON: ${(cause as Error).message}`, {
      reason: "invalid-json",
      cause,
    });
  }
  const parsed = uploadEventJson.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "event"}: ${i.message}`)
      .join("; ");
    throw new MirageError("INVALID_ARGUMENT", `the event does not match the upload contract: ${problems}`, {
      reason: "invalid-event",
      cause: parsed.error,
    });
  }
  const e = parsed.data;
  let source: UploadRequest["source"];
  if (e.contentBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(e.contentBase64)) {
      throw new MirageError("INVALID_ARGUMENT", "contentBase64 is not base64", { reason: "invalid-event" });
    }
    source = { kind: "inline", content: new Uint8Array(Buffer.from(e.contentBase64, "base64")) };
  } else {
    source = { kind: "uri", uri: e.uri! };
  }
  return {
    eventId: e.eventId,
    imageId: e.imageId,
    source,
    tenant: e.tenant ?? "",
    ...(e.uploadedAt ? { uploadedAt: e.uploadedAt } : {}),
    policy: e.policy ?? "default",
  };
}

function fromProtobuf(value: Buffer): UploadRequest {
  let event;
  try {
    event = fromBinary(UploadEventSchema, value);
  } catch (cause) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      `the event is not a valid mirage.v1.UploadEvent: ${(cause as Error).message}`,
      {
        reason: "invalid-protobuf",
        cause,
      },
    );
  }
  const missing = [
    !event.eventId && "event_id",
    !event.imageId && "image_id",
    event.source.case === undefined && "uri or content",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new MirageError("INVALID_ARGUMENT", `the event lacks ${missing.join(", ")}`, {
      reason: "invalid-event",
    });
  }
  const source: UploadRequest["source"] =
    event.source.case === "uri"
      ? { kind: "uri", uri: event.source.value }
      : { kind: "inline", content: new Uint8Array(event.source.value!) };
  return {
    eventId: event.eventId,
    imageId: event.imageId,
    source,
    tenant: event.tenant,
    ...(event.uploadedAt
      ? {
          uploadedAt: new Date(
            Number(event.uploadedAt.seconds) * 1000 + event.uploadedAt.nanos / 1e6,
          ).toISOString(),
        }
      : {}),
    policy: event.policy === Policy.STRICT ? "strict" : "default",
  };
}
