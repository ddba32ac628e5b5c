/**
 * The whole mesh as real processes for cross-service tests: a real Kafka broker (reused or
 * started), and triage, reasoning and gateway started from their built entry files on free ports,
 * with unique topics and one spans file for all three.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBroker, uniqueName, type TestBroker } from "@mirage/kafka/testing";
import { repoRoot } from "@mirage/test-support";

export type ServiceName = "triage" | "reasoning" | "gateway";

/** A running mesh. */
export interface Mesh {
  brokers: string;
  topics: { uploads: string; verdicts: string; dlq: string };
  spansFile: string;
  ports: Record<ServiceName, { grpc: number; metrics: number }>;
  /** Starts a service (again) and waits until its /readyz answers 200. */
  start(name: ServiceName): Promise<void>;
  /** Stops a service with SIGTERM (graceful) and waits for it to exit. */
  stop(name: ServiceName): Promise<number | null>;
  /** Kills a service with SIGKILL. */
  kill(name: ServiceName): Promise<void>;
  /** The last lines a service printed (for failure messages). */
  output(name: ServiceName): string;
  /** Stops everything (the broker too, if this mesh started it). */
  close(): Promise<void>;
}

/** Options of {@link startMesh}. */
export interface MeshOptions {
  /** Extra environment for every service. */
  env?: NodeJS.ProcessEnv;
}

/** Starts a mesh (the broker first, then triage, reasoning, gateway). */
export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const broker: TestBroker = await ensureBroker();
  const [tg, tm, rg, rm, gm] = await freePorts(5);
  const ports = {
    triage: { grpc: tg!, metrics: tm! },
    reasoning: { grpc: rg!, metrics: rm! },
    gateway: { grpc: 0, metrics: gm! },
  };
  const topics = {
    uploads: uniqueName("mirage.uploads"),
    verdicts: uniqueName("mirage.verdicts"),
    dlq: uniqueName("mirage.dlq"),
  };
  const spansFile = join(await mkdtemp(join(tmpdir(), "mirage-mesh-")), "spans.jsonl");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers,
    MIRAGE_UPLOADS_TOPIC: topics.uploads,
    MIRAGE_VERDICTS_TOPIC: topics.verdicts,
    MIRAGE_DLQ_TOPIC: topics.dlq,
    MIRAGE_GATEWAY_GROUP: uniqueName("mirage-gateway"),
    TRIAGE_LISTEN: `127.0.0.1:${ports.triage.grpc}`,
    TRIAGE_METRICS_PORT: String(ports.triage.metrics),
    REASONING_LISTEN: `127.0.0.1:${ports.reasoning.grpc}`,
    REASONING_METRICS_PORT: String(ports.reasoning.metrics),
    GATEWAY_METRICS_PORT: String(ports.gateway.metrics),
    TRIAGE_ADDRESS: `127.0.0.1:${ports.triage.grpc}`,
    REASONING_ADDRESS: `127.0.0.1:${ports.reasoning.grpc}`,
    MIRAGE_SPANS_FILE: spansFile,
    LOG_LEVEL: "warn",
    ...options.env,
  };
  const children = new Map<
    ServiceName,
    { child: ChildProcess; exited: Promise<number | null>; lines: string[] }
  >();

  const start = async (name: ServiceName) => {
    const child = spawn(process.execPath, [join(repoRoot, "services", name, "dist", "main.js")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    children.set(name, { child, exited, lines });
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`${name} exited with ${child.exitCode}:\n${lines.join("\n")}`);
      const ok = await fetch(`http://127.0.0.1:${ports[name].metrics}/readyz`, {
        signal: AbortSignal.timeout(2000),
      })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`${name} not ready in time:\n${lines.join("\n")}`);
  };
  const stop = async (name: ServiceName) => {
    const entry = children.get(name);
    if (!entry || entry.child.exitCode !== null || entry.child.signalCode !== null)
      return entry?.child.exitCode ?? null;
    entry.child.kill("SIGTERM");
    return entry.exited;
  };
  const kill = async (name: ServiceName) => {
    const entry = children.get(name);
    if (!entry || entry.child.exitCode !== null) return;
    entry.child.kill("SIGKILL");
    await entry.exited;
  };

  await start("triage");
  await start("reasoning");
  await start("gateway");
  return {
    brokers: broker.brokers,
    topics,
    spansFile,
    ports,
    start,
    stop,
    kill,
    output: (name) => children.get(name)?.lines.join("\n") ?? "",
    async close() {
      await stop("gateway");
      await Promise.all([stop("triage"), stop("reasoning")]);
      await broker.stop();
    },
  };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer();
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
