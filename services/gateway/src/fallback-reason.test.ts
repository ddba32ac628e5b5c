import { MirageError } from "@mirage/errors";
import { describe, expect, it } from "vitest";
import { fallbackReason } from "./fallback-reason.js";

describe("fallbackReason", () => {
  it("tells a full reasoning queue apart from a deadline and an outage", () => {
    const error = (code: MirageError["code"]) => new MirageError(code, "x", { reason: "x" });
    expect(fallbackReason(error("RESOURCE_EXHAUSTED"))).toBe("overloaded");
    expect(fallbackReason(error("DEADLINE_EXCEEDED"))).toBe("deadline");
    expect(fallbackReason(error("UNAVAILABLE"))).toBe("unavailable");
    expect(fallbackReason(error("INTERNAL"))).toBe("unavailable");
  });
});
