import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetrics, startOpsServer } from "./index.js";
import type { OpsServer, ReadinessReport } from "./index.js";

const slo = { fastSeconds: 0.5, escalatedSeconds: 15 };

describe("startOpsServer", () => {
  const servers: OpsServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  async function start(
    readiness: () => Promise<ReadinessReport>,
    registry = new Registry(),
    timeoutMs?: number,
  ) {
    const server = await startOpsServer({
      port: 0,
      host: "127.0.0.1",
      registry,
      readiness,
      ...(timeoutMs === undefined ? {} : { readinessTimeoutMs: timeoutMs }),
    });
    servers.push(server);
    return (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);
  }

  it("serves the pinned metrics with buckets at the SLO thresholds on /metrics", async () => {
    const metrics = createMetrics({ slo });
    metrics.verdictLatency.observe({ escalated: "false" }, 0.2);
    metrics.verdictLatency.observe({ escalated: "true" }, 14);
    const get = await start(async () => ({ ready: true, checks: {} }), metrics.registry);
    const response = await get("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    for (const name of [
      "mirage_verdict_latency_seconds",
      "mirage_triage_latency_seconds",
      "mirage_reasoning_latency_seconds",
      "mirage_verdicts_total",
      "mirage_dlq_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="0.5",escalated="false"} 1');
    expect(text).toContain('mirage_verdict_latency_seconds_bucket{le="15",escalated="true"} 1');
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("answers /healthz with 200 while alive", async () => {
    const get = await start(async () => ({ ready: false, checks: {} }));
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("flips /readyz from 503 to 200 when readiness does, with the checks as JSON", async () => {
    let report: ReadinessReport = { ready: false, checks: { kafka: "connecting", triage: "UNAVAILABLE" } };
    const get = await start(async () => report);
    const before = await get("/readyz");
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual(report);
    report = { ready: true, checks: { kafka: "connected", triage: "SERVING" } };
    const after = await get("/readyz");
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual(report);
  });

  it("is not ready when the check throws or hangs, and says why", async () => {
    const failing = await start(async () => {
      throw new Error("model not loaded");
    });
    const failed = await failing("/readyz");
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({
      ready: false,
      checks: { readiness: "check failed: model not loaded" },
    });

    const hanging = await start(() => new Promise<ReadinessReport>(() => {}), new Registry(), 50);
    const hung = await hanging("/readyz");
    expect(hung.status).toBe(503);
    expect(await hung.json()).toEqual({ ready: false, checks: { readiness: "no answer within 50 ms" } });
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    const get = await start(async () => ({ ready: true, checks: {} }));
    expect((await get("/nope")).status).toBe(404);
    const post = await get("/metrics", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("rejects with a MirageError when the port is taken", async () => {
    const first = await startOpsServer({
      port: 0,
      host: "127.0.0.1",
      registry: new Registry(),
      readiness: async () => ({ ready: true, checks: {} }),
    });
    servers.push(first);
    await expect(
      startOpsServer({
        port: first.port,
        host: "127.0.0.1",
        registry: new Registry(),
        readiness: async () => ({ ready: true, checks: {} }),
      }),
    ).rejects.toMatchObject({ code: "UNAVAILABLE", reason: "ops-listen-failed" });
  });
});
