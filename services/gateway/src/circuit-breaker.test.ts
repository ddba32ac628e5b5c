import { describe, expect, it } from "vitest";
import { createCircuitBreaker } from "./circuit-breaker.js";

describe("circuit breaker", () => {
  it("opens after the threshold, tries once after the pause, closes on success", () => {
    let t = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 2, openMs: 100, now: () => t });
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state()).toBe("closed");
    breaker.failure();
    expect(breaker.state()).toBe("open");
    expect(breaker.allow()).toBe(false);
    t = 150;
    expect(breaker.state()).toBe("half-open");
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(false);
    breaker.success();
    expect(breaker.state()).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("opens again when the trial call fails", () => {
    let t = 0;
    const breaker = createCircuitBreaker({ failureThreshold: 1, openMs: 100, now: () => t });
    breaker.failure();
    t = 100;
    expect(breaker.allow()).toBe(true);
    breaker.failure();
    expect(breaker.state()).toBe("open");
    t = 150;
    expect(breaker.allow()).toBe(false);
  });
});
