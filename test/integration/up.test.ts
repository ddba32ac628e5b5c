/** `npx mirage up` as the README says: the three services against a running broker; Ctrl-C drains them. */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { ensureBroker, uniqueName, type TestBroker } from "@mirage/kafka/testing";
import { repoRoot, sharedAvailable } from "@mirage/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, datasetDir, pickImages, sendEvents, validEvents } from "../support/events.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(!sharedAvailable("datasets/aigi-v1"))("mirage up", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await ensureBroker();
  }, 180_000);
  afterAll(() => broker?.stop());

  it("runs gateway, triage and reasoning, judges events, and drains on Ctrl-C", async () => {
    const [triage, reasoning, tm, rm, gm] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const topics = {
      uploads: uniqueName("up.uploads"),
      verdicts: uniqueName("up.verdicts"),
      dlq: uniqueName("up.dlq"),
    };
    const env = {
      ...process.env,
      KAFKA_BROKERS: broker.brokers,
      MIRAGE_UPLOADS_TOPIC: topics.uploads,
      MIRAGE_VERDICTS_TOPIC: topics.verdicts,
      MIRAGE_DLQ_TOPIC: topics.dlq,
      MIRAGE_GATEWAY_GROUP: uniqueName("up-gateway"),
      TRIAGE_LISTEN: `127.0.0.1:${triage}`,
      REASONING_LISTEN: `127.0.0.1:${reasoning}`,
      TRIAGE_ADDRESS: `127.0.0.1:${triage}`,
      REASONING_ADDRESS: `127.0.0.1:${reasoning}`,
      TRIAGE_METRICS_PORT: String(tm),
      REASONING_METRICS_PORT: String(rm),
      GATEWAY_METRICS_PORT: String(gm),
      MIRAGE_FILE_ROOTS: datasetDir,
    };
    const up = spawn(process.execPath, [join(repoRoot, "services/cli/dist/main.js"), "up"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    up.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    up.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!output.includes("[up] all services ready")) {
        if (Date.now() > deadline || up.exitCode !== null)
          throw new Error(`mirage up did not get ready:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const got = await collect(broker.brokers, topics);
      const events = validEvents(pickImages(4), 4);
      await sendEvents(broker.brokers, topics.uploads, events);
      await got.until(() => got.producedAt.size >= events.length, 120_000, "verdicts from mirage up");
      await got.consumer.stop();
      const metrics = await (await fetch(`http://127.0.0.1:${gm}/metrics`)).text();
      expect(metrics).toMatch(/mirage_verdict_latency_seconds_bucket\{le="0.5",escalated="(true|false)"\}/);
      expect(metrics).toMatch(/mirage_verdicts_total\{label="[A-Z_]+",decided_by="[A-Z]+"\} \d/);

      up.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(output).toContain("gateway stopped");
      expect(output).toContain("triage stopped");
      expect(output).toContain("reasoning stopped");
    } finally {
      if (up.exitCode === null) up.kill("SIGKILL");
    }
  }, 400_000);
});
