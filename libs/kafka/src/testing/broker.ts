/**
 * A Kafka broker for integration tests: the one already running (npm run kafka:start, or
 * KAFKA_BROKERS), or a private one started from deploy/kafka/kafka.mjs on free ports with a
 * throw-away data directory, stopped and deleted by stop(). A watchdog stops a private broker if
 * the test process dies before calling stop(), so no broker outlives its tests.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MirageError } from "@mirage/errors";
import { createKafkaClient } from "../client.js";

/** The repository root: this file is libs/kafka/src/testing/broker.ts or libs/kafka/dist/testing/broker.js. */
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const kafkaScript = join(repoRoot, "deploy", "kafka", "kafka.mjs");

/** A broker the tests can use. */
export interface TestBroker {
  /** Bootstrap address, "host:port". */
  readonly brokers: string;
  /** True when ensureBroker started it (and stop() stops it); false when it reused a running one. */
  readonly started: boolean;
  /** Stops and deletes a broker that ensureBroker started; does nothing to a reused one. */
  stop(): Promise<void>;
}

/** Options of {@link ensureBroker}. */
export interface EnsureBrokerOptions {
  /** The broker to reuse when it answers. Default: KAFKA_BROKERS, else 127.0.0.1:19092. */
  readonly brokers?: string;
}

/** True when a Metadata request to `brokers` succeeds within about a second. */
export async function brokerAnswers(brokers: string): Promise<boolean> {
  const probe = createKafkaClient({
    brokers,
    clientId: "mirage-test-probe",
    logLevel: "nothing",
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 3000,
    retries: 0,
  });
  try {
    await probe.describeCluster();
    return true;
  } catch {
    // Not answering is the expected outcome that makes ensureBroker start its own broker.
    return false;
  }
}

/** Reuses the running broker if it answers, else starts a private one (about 10-20 s). */
export async function ensureBroker(options: EnsureBrokerOptions = {}): Promise<TestBroker> {
  const candidate = options.brokers ?? process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
  if (await brokerAnswers(candidate)) {
    return { brokers: candidate, started: false, stop: async () => undefined };
  }
  const [port, controllerPort] = await freePorts(2);
  const dataDir = await mkdtemp(join(tmpdir(), "mirage-kafka-"));
  const env = {
    ...process.env,
    KAFKA_HOST: "127.0.0.1",
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_OWNER_PID: String(process.pid),
    KAFKA_TEMP_DATA: "1",
  };
  const started = await runScript("start", env);
  if (started.code !== 0) {
    await rm(dataDir, { recursive: true, force: true });
    throw new MirageError("UNAVAILABLE", `could not start a test broker:\n${started.output}`, {
      reason: "kafka-broker-start-failed",
    });
  }
  let stopping: Promise<void> | undefined;
  return {
    brokers: `127.0.0.1:${port}`,
    started: true,
    stop: () =>
      (stopping ??= (async () => {
        const stopped = await runScript("stop", env);
        await rm(dataDir, { recursive: true, force: true });
        if (stopped.code !== 0) {
          throw new MirageError("INTERNAL", `could not stop the test broker:\n${stopped.output}`, {
            reason: "kafka-broker-stop-failed",
          });
        }
      })()),
  };
}

function runScript(
  command: "start" | "stop",
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kafkaScript, command], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Ports that were free a moment ago (held together, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

let counter = 0;

/** A name no other test run uses, for topics and group ids: `<prefix>.<time>-<pid>-<n>`. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}-${process.pid}-${counter}`;
}
