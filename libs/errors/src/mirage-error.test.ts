import { describe, expect, it } from "vitest";
import { MirageError, isMirageError } from "./index.js";

describe("MirageError", () => {
  it("keeps code, reason, details and cause", () => {
    const cause = new Error("libvips said no");
    const error = new MirageError("INVALID_ARGUMENT", "cannot decode", {
      reason: "undecodable-image",
      cause,
      details: { format: "heif" },
    });
    expect(error).toMatchObject({
      code: "INVALID_ARGUMENT",
      reason: "undecodable-image",
      details: { format: "heif" },
    });
    expect(error.cause).toBe(cause);
    expect(isMirageError(error, "INVALID_ARGUMENT")).toBe(true);
    expect(isMirageError(error, "INTERNAL")).toBe(false);
  });

  it("normalises anything caught at a boundary", () => {
    const wrapped = MirageError.from(new TypeError("boom"), "triage-failed");
    expect(wrapped).toMatchObject({ code: "INTERNAL", reason: "triage-failed", message: "boom" });
    const same = new MirageError("NOT_FOUND", "x", { reason: "missing" });
    expect(MirageError.from(same)).toBe(same);
    expect(MirageError.from("text").message).toBe("text");
  });
});
