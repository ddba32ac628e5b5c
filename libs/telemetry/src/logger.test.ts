import { Writable } from "node:stream";
import { trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, startTelemetry, withSpan } from "./index.js";
import type { Telemetry } from "./index.js";

/** A destination that keeps every JSON line written to it. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"));
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: "gateway", env: {} });
  });
  afterAll(async () => {
    await telemetry.shutdown();
  });

  it("writes JSON lines with the active span's traceId and spanId", async () => {
    const out = capture();
    const log = createLogger({ service: "gateway", level: "info", destination: out.stream });
    const ids = await withSpan(trace.getTracer("test"), "consume", {}, (span) => {
      log.info({ eventId: "e-1" }, "consumed");
      return span.spanContext();
    });
    log.warn("outside any span");
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      level: "info",
      service: "gateway",
      eventId: "e-1",
      msg: "consumed",
      traceId: ids.traceId,
      spanId: ids.spanId,
    });
    expect(Date.parse(String(inside?.time))).not.toBeNaN();
    expect(outside).toMatchObject({ level: "warn", msg: "outside any span" });
    expect(outside).not.toHaveProperty("traceId");
  });

  it("drops lines below the level and keeps bindings", () => {
    const out = capture();
    const log = createLogger({
      service: "triage",
      level: "warn",
      destination: out.stream,
      bindings: { component: "kafka" },
    });
    log.info("hidden");
    log.error({ err: new Error("broker gone") }, "lost the broker");
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "error", component: "kafka", err: { message: "broker gone" } });
  });

  it("takes the level from LOG_LEVEL and refuses an unknown one", () => {
    const previous = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = "debug";
      expect(createLogger({ service: "x", destination: capture().stream }).level).toBe("debug");
      process.env.LOG_LEVEL = "loud";
      expect(() => createLogger({ service: "x" })).toThrow(/LOG_LEVEL/);
    } finally {
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
  });
});
