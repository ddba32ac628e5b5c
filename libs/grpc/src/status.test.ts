import * as grpc from "@grpc/grpc-js";
import { MirageError, errorCodes } from "@mirage/errors";
import { describe, expect, it } from "vitest";
import { errorCodeOf, fromServiceError, grpcStatusOf, toServiceError } from "./status.js";

describe("status mapping", () => {
  it("maps every MirageError code to the gRPC status of the same name and back", () => {
    for (const code of errorCodes) {
      expect(grpc.status[grpcStatusOf(code)]).toBe(code);
      expect(errorCodeOf(grpcStatusOf(code))).toBe(code);
    }
  });

  it("maps the gRPC codes MirageError lacks to the nearest code", () => {
    // Regression: CANCELLED once came back as "CANCELLED", which is no MirageError code.
    expect(errorCodeOf(grpc.status.CANCELLED)).toBe("UNAVAILABLE");
    expect(errorCodeOf(grpc.status.UNKNOWN)).toBe("INTERNAL");
    expect(errorCodeOf(grpc.status.UNAUTHENTICATED)).toBe("PERMISSION_DENIED");
    expect(errorCodeOf(grpc.status.OUT_OF_RANGE)).toBe("INVALID_ARGUMENT");
    for (let status = 1; status <= 16; status += 1) expect(errorCodes).toContain(errorCodeOf(status));
  });

  it("sends reason and details as ASCII metadata and reads them back", () => {
    const sent = toServiceError(
      new MirageError("RESOURCE_EXHAUSTED", "image too large", {
        reason: "image-too-large",
        details: { file: "café.png", pixels: 1e8 },
      }),
    );
    expect(sent.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const raw = sent.metadata?.get("mirage-error-details")[0];
    expect(raw).toMatch(/^[\x20-\x7e]+$/);
    const error = Object.assign(new Error(sent.details), {
      code: sent.code,
      details: sent.details ?? "",
      metadata: sent.metadata ?? new grpc.Metadata(),
    });
    const received = fromServiceError(error, { method: "/m.S/M", address: "x:1" });
    expect(received).toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      reason: "image-too-large",
      details: {
        file: "café.png",
        pixels: 1e8,
        grpcStatus: "RESOURCE_EXHAUSTED",
        method: "/m.S/M",
        address: "x:1",
      },
    });
  });

  it("names a status without a server reason after the status, and wraps foreign errors as INTERNAL", () => {
    const error = Object.assign(new Error("14 UNAVAILABLE: No connection established"), {
      code: grpc.status.UNAVAILABLE,
      details: "No connection established",
      metadata: new grpc.Metadata(),
    });
    expect(fromServiceError(error, { method: "/m.S/M", address: "x:1" })).toMatchObject({
      code: "UNAVAILABLE",
      reason: "grpc-unavailable",
    });
    expect(toServiceError(new RangeError("oops"))).toMatchObject({
      code: grpc.status.INTERNAL,
      details: "oops",
    });
  });
});
