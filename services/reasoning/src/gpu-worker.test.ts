/**
 * The reasoning service as a GPU worker, over real gRPC on loopback: the bounded examination
 * queue and its metrics, micro-batching across concurrent examinations, and execution providers.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { AnalysisMode, ReasoningService } from "@mirage/contracts";
import { createGrpcClient } from "@mirage/grpc";
import { sharedAvailable, sharedPath } from "@mirage/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReasoningConfig } from "./config.js";
import { startReasoningServer, type ReasoningServer } from "./server.js";

/** A client of the service on `port`, with a deadline long enough for a queue on 2 cores. */
const connect = (port: number) =>
  createGrpcClient(ReasoningService, `127.0.0.1:${port}`, { deadlineMs: 60_000 });
type Client = ReturnType<typeof connect>;

/** Whether this onnxruntime-node has its CUDA provider libraries (the GPU image does; the npm build here does not). */
const cudaInstalled = existsSync(
  join(
    dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json")),
    `bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`,
  ),
);

const baseEnv = {
  REASONING_LISTEN: "127.0.0.1:0",
  REASONING_METRICS_PORT: "0",
  // A lighter deep examination: this machine has 2 cores, and the tests need queues, not depth.
  REASONING_DENSE_CROPS: "16",
  REASONING_REFLECTION_CROPS: "8",
  SHUTDOWN_GRACE_MS: "2000",
};

/** A started service and a client for it. */
async function startService(
  env: Record<string, string>,
): Promise<{ server: ReasoningServer; client: Client }> {
  const server = await startReasoningServer(readReasoningConfig({ ...baseEnv, ...env }));
  return { server, client: connect(server.grpcPort) };
}

/** The service's /metrics, and one sample's value (0 when absent). */
async function scrape(server: ReasoningServer): Promise<(sample: string) => number> {
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  return (sample) => {
    const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
    return line ? Number(line.slice(sample.length + 1)) : 0;
  };
}

/** Polls /metrics until `sample` satisfies `ok` (the service answers between inferences). */
async function waitForMetric(
  server: ReasoningServer,
  sample: string,
  ok: (v: number) => boolean,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = (await scrape(server))(sample);
    if (ok(value)) return;
    if (Date.now() > deadline) {
      const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
      const related = text
        .split("\n")
        .filter((l) => l.startsWith("mirage_reasoning_") && !l.includes("_bucket"));
      throw new Error(`${sample} is still ${value}:\n${related.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const imagePath = "datasets/aigi-v1/real/sun-hays80/CSun_Hays80__fountain_sun_atybswifcirkporj.jpg";

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("the reasoning service as a GPU worker", () => {
  let content: Uint8Array;
  beforeAll(async () => {
    content = new Uint8Array(await readFile(sharedPath(imagePath)));
  });
  const analyze = (client: Client, imageId: string, signal?: AbortSignal) =>
    client.call(
      "analyze",
      { eventId: imageId, imageId, content, mode: AnalysisMode.DEEP },
      signal ? { signal } : {},
    );

  describe("with one examination at a time", () => {
    let service: Awaited<ReturnType<typeof startService>>;
    beforeAll(async () => {
      service = await startService({ REASONING_MAX_CONCURRENCY: "1", REASONING_MAX_QUEUE: "8" });
    });
    afterAll(async () => {
      service?.client.close();
      await service?.server.close();
    });

    it("queues concurrent calls, observes each wait, and empties the queue", async () => {
      const results = await Promise.all([0, 1, 2, 3].map((i) => analyze(service.client, `queued-${i}`)));
      expect(results.every((r) => r.verdict !== undefined)).toBe(true);
      const m = await scrape(service.server);
      expect(m("mirage_reasoning_queue_wait_seconds_count")).toBe(4);
      // One call found the permit free; the three others waited for at least one examination.
      expect(m('mirage_reasoning_queue_wait_seconds_bucket{le="0.001"}')).toBe(1);
      expect(m("mirage_reasoning_queue_wait_seconds_sum")).toBeGreaterThan(0.1);
      expect(m("mirage_reasoning_queue_depth")).toBe(0);
      expect(m("mirage_reasoning_inflight")).toBe(0);
      expect(m('mirage_reasoning_latency_seconds_count{outcome="ok"}')).toBe(4);
      console.log(
        `4 examinations one at a time: ${m("mirage_model_batch_crops_count")} inferences, ` +
          `${m("mirage_model_batch_crops_sum")} crops, waits ${m("mirage_reasoning_queue_wait_seconds_sum").toFixed(2)} s in all`,
      );
      const readiness = (await (
        await fetch(`http://127.0.0.1:${service.server.metricsPort}/readyz`)
      ).json()) as { checks: Record<string, string> };
      expect(readiness.checks).toMatchObject({ executionProvider: "cpu", queue: "0 running, 0 waiting" });
    });

    it("never runs a call whose caller gives up while it waits", async () => {
      // What one examination of this image scores, alone.
      const before = (await scrape(service.server))("mirage_model_batch_crops_sum");
      await analyze(service.client, "alone");
      const afterAlone = (await scrape(service.server))("mirage_model_batch_crops_sum");
      const oneExamination = afterAlone - before;
      expect(oneExamination).toBeGreaterThan(0);

      // Two calls ahead of it: the service handles the cancellation between the inferences of the
      // second (its examination holds the event loop while it computes, as any CPU work does).
      const ahead = [analyze(service.client, "running"), analyze(service.client, "next")];
      const controller = new AbortController();
      const gone = analyze(service.client, "gone", controller.signal);
      gone.catch(() => undefined);
      await waitForMetric(service.server, "mirage_reasoning_queue_depth", (v) => v === 2);
      controller.abort(new Error("the caller gave up"));
      await expect(gone).rejects.toMatchObject({ reason: "call-cancelled" });
      await waitForMetric(
        service.server,
        'mirage_reasoning_queue_dropped_total{reason="abandoned"}',
        (v) => v === 1,
      );
      await Promise.all(ahead);
      const after = await scrape(service.server);
      expect(after("mirage_reasoning_queue_depth")).toBe(0);
      // Only the two calls ahead were examined: nothing ran for the one that left.
      expect(after("mirage_model_batch_crops_sum") - afterAlone).toBe(2 * oneExamination);
      expect(after('mirage_reasoning_latency_seconds_count{outcome="abandoned"}')).toBe(1);
    });
  });

  describe("with a full queue", () => {
    let service: Awaited<ReturnType<typeof startService>>;
    beforeAll(async () => {
      service = await startService({ REASONING_MAX_CONCURRENCY: "1", REASONING_MAX_QUEUE: "1" });
    });
    afterAll(async () => {
      service?.client.close();
      await service?.server.close();
    });

    it("refuses the call that finds no room with RESOURCE_EXHAUSTED reasoning-overloaded", async () => {
      const settled = await Promise.allSettled([0, 1, 2].map((i) => analyze(service.client, `full-${i}`)));
      const refused = settled.filter((s) => s.status === "rejected");
      expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(2);
      expect(refused).toHaveLength(1);
      expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
        code: "RESOURCE_EXHAUSTED",
        reason: "reasoning-overloaded",
        details: { grpcStatus: "RESOURCE_EXHAUSTED" },
      });
      const m = await scrape(service.server);
      expect(m('mirage_reasoning_queue_dropped_total{reason="full"}')).toBe(1);
      expect(m('mirage_reasoning_latency_seconds_count{outcome="overloaded"}')).toBe(1);
      expect(m("mirage_reasoning_queue_wait_seconds_count")).toBe(2);
    });
  });

  describe("with examinations side by side", () => {
    let service: Awaited<ReturnType<typeof startService>>;
    beforeAll(async () => {
      service = await startService({ REASONING_MAX_CONCURRENCY: "4", REASONING_BATCH_MAX_CROPS: "64" });
    });
    afterAll(async () => {
      service?.client.close();
      await service?.server.close();
    });

    it("merges their crops into shared inferences", async () => {
      await Promise.all([0, 1, 2, 3].map((i) => analyze(service.client, `side-${i}`)));
      const m = await scrape(service.server);
      const batches = m("mirage_model_batch_crops_count");
      // An examination scores at most 16 crops per call (its chunks): a larger batch holds the
      // crops of several examinations.
      const merged = batches - m('mirage_model_batch_crops_bucket{le="16"}');
      console.log(
        `4 concurrent examinations: ${batches} inferences, ${merged} merged, ` +
          `${m("mirage_model_batch_crops_sum")} crops`,
      );
      expect(merged).toBeGreaterThan(0);
      expect(m("mirage_model_batch_crops_sum") / batches).toBeGreaterThan(16);
    });
  });
});

describe("execution providers at start-up", () => {
  it("refuses a provider list with cpu anywhere but last, naming the variable", () => {
    expect(() => readReasoningConfig({ ...baseEnv, MIRAGE_ORT_PROVIDERS: "cpu,cuda" })).toThrow(
      expect.objectContaining({
        reason: "invalid-config",
        message: expect.stringContaining("MIRAGE_ORT_PROVIDERS"),
      }),
    );
  });

  describe.skipIf(cudaInstalled)(
    "with the npm build of onnxruntime-node (no CUDA provider libraries)",
    () => {
      it("fails to start when cuda is required, saying what is missing and how to get it", async () => {
        const started = startReasoningServer(
          readReasoningConfig({ ...baseEnv, MIRAGE_ORT_PROVIDERS: "cuda" }),
        );
        await expect(started).rejects.toMatchObject({
          code: "FAILED_PRECONDITION",
          reason: "execution-provider-unavailable",
          details: { provider: "cuda" },
          message: expect.stringContaining("ONNXRUNTIME_NODE_INSTALL=cuda12"),
        });
      });

      it("runs cuda,cpu on cpu and shows it in /readyz and the provider gauge", async () => {
        const server = await startReasoningServer(
          readReasoningConfig({ ...baseEnv, MIRAGE_ORT_PROVIDERS: "cuda,cpu" }),
        );
        try {
          const readiness = (await (await fetch(`http://127.0.0.1:${server.metricsPort}/readyz`)).json()) as {
            checks: Record<string, string>;
          };
          expect(readiness.checks.executionProvider).toBe("cpu (cuda unavailable)");
          const m = await scrape(server);
          expect(
            m('mirage_model_execution_provider{model="triage-v11",provider="cpu",requested="cuda,cpu"}'),
          ).toBe(1);
        } finally {
          await server.close();
        }
      });
    },
  );
});
