/**
 * The Kafka adapter against a real Apache Kafka 4.1 broker (KRaft): the running one from
 * `npm run kafka:start`, or a private one that ensureBroker starts and removes. Every test uses
 * its own topics and group ids, so runs never see each other's messages.
 */
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { MirageError } from "@mirage/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createKafkaClient,
  createProducer,
  deadLetterMessage,
  readDeadLetterHeaders,
  type ConsumedMessage,
  type ConsumerOptions,
  type KafkaClient,
  type KafkaConsumer,
  type KafkaLogEntry,
  type KafkaProducer,
  type MessageHandler,
} from "./index.js";
import { ensureBroker, uniqueName, type TestBroker } from "./testing/index.js";

let broker: TestBroker;
let client: KafkaClient;
let producer: KafkaProducer;
const consumers: KafkaConsumer[] = [];

beforeAll(async () => {
  broker = await ensureBroker();
  client = createKafkaClient({ brokers: broker.brokers, clientId: "mirage-kafka-tests", logLevel: "warn" });
  producer = await createProducer(client);
}, 120_000);

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  await producer?.close();
  await broker?.stop();
}, 60_000);

/** Quick timings for tests: fast heartbeats and fetch loops, short drains. */
function startConsumer(
  topic: string,
  groupId: string,
  handler: MessageHandler,
  extra: Partial<ConsumerOptions> = {},
  via: KafkaClient = client,
) {
  const consumer = createConsumer(via, {
    groupId,
    topics: [topic],
    handler,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    heartbeatIntervalMs: 300,
    fetchMaxWaitMs: 100,
    drainTimeoutMs: 10_000,
    stopTimeoutMs: 10_000,
    ...extra,
  });
  consumers.push(consumer);
  return consumer.start().then(() => consumer);
}

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueName("kafka-test");
  await client.ensureTopics([{ topic, partitions }]);
  return topic;
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, index) => ({
    key: `img-${from + index}`,
    value: JSON.stringify({ n: from + index }),
  }));
  await producer.send(topic, messages);
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const n = (message: ConsumedMessage): number => (JSON.parse(message.value.toString()) as { n: number }).n;
const where = (message: ConsumedMessage): string => `${message.partition}@${message.offset}`;

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("against a real Kafka 4 broker", () => {
  it("answers metadata and creates topics once", async () => {
    const cluster = await client.describeCluster();
    expect(cluster.brokers).toEqual([broker.brokers]);
    expect(cluster.controller).not.toBeNull();
    const topic = uniqueName("kafka-test");
    expect(await client.ensureTopics([{ topic, partitions: 3 }])).toEqual({ created: [topic], existing: [] });
    expect(await client.ensureTopics([{ topic, partitions: 6 }])).toEqual({
      created: [],
      existing: [{ topic, partitions: 3 }],
    });
  });

  it("fails a send to a missing topic instead of creating it", async () => {
    const strict = await createProducer(client, { retries: 1 });
    try {
      await expect(strict.send(uniqueName("missing"), [{ key: "k", value: "v" }])).rejects.toMatchObject({
        code: "UNAVAILABLE",
        reason: "kafka-produce-failed",
      });
    } finally {
      await strict.close();
    }
  });

  it("runs the README example", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("createConsumer");
    // Under node_modules: resolves @mirage/kafka like any package, and no tsconfig or lint sees it.
    const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
    const folder = join(repoRoot, "node_modules", ".cache", "mirage-kafka");
    const file = join(folder, `readme-${process.pid}.mts`);
    await mkdir(folder, { recursive: true });
    await writeFile(file, example ?? "");
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--conditions=@mirage/source", "--import", "tsx", file],
        { cwd: repoRoot, env: { ...process.env, KAFKA_BROKERS: broker.brokers }, timeout: 60_000 },
      );
      expect(stdout.trim()).toBe("handled 1");
    } finally {
      await rm(file, { force: true });
    }
  });

  it("produces idempotently (concurrent sends, keyed) and consumes each message once in a group", async () => {
    const topic = await topicWith(3);
    // Six concurrent sends share one idempotent producer: sequence numbers must stay valid.
    await Promise.all(Array.from({ length: 6 }, (_, batch) => produce(topic, batch * 50, 50)));
    await producer.send(topic, [
      { key: "same", value: "a", headers: { "content-type": "text/plain" } },
      { key: "same", value: "b" },
      { key: "same", value: "c" },
    ]);
    const seen: ConsumedMessage[] = [];
    const consumer = await startConsumer(topic, uniqueName("group"), async (message) => {
      seen.push(message);
    });
    await waitUntil("303 messages arrived", () => seen.length >= 303);
    await consumer.stop();
    const numbered = seen.filter((message) => message.key !== "same").map(n);
    expect(new Set(numbered).size).toBe(300);
    expect(numbered).toHaveLength(300);
    const same = seen.filter((message) => message.key === "same");
    // One key, one partition, in the order sent.
    expect(new Set(same.map((message) => message.partition)).size).toBe(1);
    expect(same.map((message) => message.value.toString())).toEqual(["a", "b", "c"]);
    expect(same[0]?.headers["content-type"]).toBe("text/plain");
    expect(typeof same[0]?.timestamp).toBe("number");
    expect(consumer.stats()).toMatchObject({ handled: 303, inFlight: 0, uncommitted: 0 });
  });

  it("commits on stop, and a restarted member resumes after the committed offset", async () => {
    const topic = await topicWith(2);
    const groupId = uniqueName("group");
    await produce(topic, 0, 40);
    const first: number[] = [];
    const one = await startConsumer(topic, groupId, async (message) => void first.push(n(message)));
    await waitUntil("the first 40 arrived", () => first.length === 40);
    await one.stop();
    await produce(topic, 40, 10);
    const second: number[] = [];
    const two = await startConsumer(topic, groupId, async (message) => void second.push(n(message)));
    await waitUntil("the next 10 arrived", () => second.length >= 10);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a wrong redelivery to show up
    await two.stop();
    expect(second.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, index) => 40 + index));
  });

  it("never commits past a slow early message: a restart redelivers from it", async () => {
    const topic = await topicWith(1);
    const groupId = uniqueName("group");
    await produce(topic, 0, 10);
    const slow = gate();
    const finished: number[] = [];
    const one = await startConsumer(
      topic,
      groupId,
      async (message) => {
        if (n(message) === 3) await slow.promise;
        finished.push(n(message));
      },
      { stopTimeoutMs: 500 },
    );
    await waitUntil("all but the slow message finished", () => finished.length === 9);
    // 0-2 are committed; 3 is running; 4-9 are done but cannot be committed before 3.
    await waitUntil("0-2 are committed", () => one.stats().uncommitted === 7);
    expect(one.stats().inFlight).toBe(1);
    await one.stop(); // gives up on message 3 after 500 ms: it stays uncommitted
    slow.open();

    const again: number[] = [];
    const two = await startConsumer(topic, groupId, async (message) => void again.push(n(message)));
    await waitUntil("the redelivery arrived", () => again.length >= 7);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await two.stop();
    // 0-2 were committed; 3 blocked the commit of 4-9 although they had finished.
    expect(again).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it("keeps at most maxInFlight handlers running across partitions", async () => {
    const topic = await topicWith(3);
    await produce(topic, 0, 60);
    let running = 0;
    let peak = 0;
    let count = 0;
    const consumer = await startConsumer(
      topic,
      uniqueName("group"),
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
        count += 1;
      },
      { maxInFlight: 5 },
    );
    await waitUntil("60 handled", () => count === 60);
    await consumer.stop();
    expect(peak).toBe(5);
  });

  it("pauses a partition whose uncommitted window is full, and resumes it when the commit catches up", async () => {
    const topic = await topicWith(1);
    await produce(topic, 0, 20);
    const slow = gate();
    const started: number[] = [];
    const consumer = await startConsumer(
      topic,
      uniqueName("group"),
      async (message) => {
        started.push(n(message));
        if (n(message) === 0) await slow.promise;
      },
      { maxInFlight: 4, maxUncommittedPerPartition: 6 },
    );
    await waitUntil("the window filled", () => started.length === 6);
    await new Promise((resolve) => setTimeout(resolve, 800)); // several fetch loops: nothing more may start
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(consumer.stats().paused).toEqual([{ topic, partition: 0 }]);
    slow.open();
    await waitUntil("all 20 handled", () => started.length === 20);
    await consumer.stop();
    expect(started).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(consumer.stats().paused).toEqual([]);
  });

  it("shares partitions between two members after a rebalance; nothing is lost or handled twice", async () => {
    const topic = await topicWith(4);
    const groupId = uniqueName("group");
    await produce(topic, 0, 80);
    const handledBy = new Map<string, string[]>();
    const handler =
      (member: string): MessageHandler =>
      async (message) => {
        // Staggered durations, so that some handlers are still running when the rebalance starts.
        await new Promise((resolve) => setTimeout(resolve, 60 + (n(message) % 4) * 50));
        handledBy.set(where(message), [...(handledBy.get(where(message)) ?? []), member]);
      };
    // Slow enough (3 at a time, 60-210 ms each) that member a is mid-stream when b joins.
    const logOfA: KafkaLogEntry[] = [];
    const clientOfA = createKafkaClient({
      brokers: broker.brokers,
      clientId: "member-a",
      logLevel: "info",
      log: (entry) => logOfA.push(entry),
    });
    const a = await startConsumer(topic, groupId, handler("a"), { maxInFlight: 3 }, clientOfA);
    await waitUntil("a handled some", () => handledBy.size >= 8);
    const b = await startConsumer(topic, groupId, handler("b"), { maxInFlight: 4 });
    await waitUntil(
      "both hold partitions",
      () => a.stats().assigned.length === 2 && b.stats().assigned.length === 2,
    );
    const partitionsOf = (consumer: KafkaConsumer): number[] =>
      consumer.stats().assigned.map(({ partition }) => partition);
    expect([...partitionsOf(a), ...partitionsOf(b)].sort()).toEqual([0, 1, 2, 3]);
    await produce(topic, 80, 20);
    await waitUntil("all 100 handled", () => handledBy.size === 100, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a duplicate to show up
    await Promise.all([a.stop(), b.stop()]);
    const twice = [...handledBy].filter(([, members]) => members.length > 1);
    expect(twice).toEqual([]);
    const byB = [...handledBy.values()].filter((members) => members[0] === "b").length;
    expect(byB).toBeGreaterThan(0);
    // a let its running handlers finish and committed them before giving partitions away.
    const drained = logOfA.find((entry) => entry.message.startsWith("rebalance: running handlers finished"));
    expect(drained).toBeDefined();
  });

  it("stops without committing past a handler that keeps failing, and says why", async () => {
    const topic = await topicWith(1);
    const groupId = uniqueName("group");
    await produce(topic, 0, 6);
    const failures: MirageError[] = [];
    let attempts = 0;
    const one = await startConsumer(
      topic,
      groupId,
      async (message) => {
        if (n(message) === 2) {
          attempts += 1;
          throw new Error("triage is down");
        }
      },
      { handlerRetries: 1, handlerRetryBackoffMs: 50, onFailure: (error) => failures.push(error) },
    );
    await one.done;
    expect(one.isRunning()).toBe(false);
    expect(attempts).toBe(2);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      code: "INTERNAL",
      reason: "kafka-handler-failed",
      details: { topic, partition: 0, offset: "2", attempts: 2 },
    });
    expect(one.failure()).toBe(failures[0]);

    const again: number[] = [];
    const two = await startConsumer(topic, groupId, async (message) => void again.push(n(message)));
    await waitUntil("the redelivery arrived", () => again.length >= 4);
    await two.stop();
    expect(again).toEqual([2, 3, 4, 5]);
  });

  it("round-trips a dead letter: original key and bytes, code and reason headers", async () => {
    const uploads = await topicWith(1);
    const dlq = await topicWith(1);
    const raw = Buffer.from([0x7b, 0x22, 0xff, 0x00]); // not UTF-8, not JSON
    await producer.send(uploads, [
      { key: "img-9", value: raw, headers: { "content-type": "application/json" } },
    ]);
    const letters: ConsumedMessage[] = [];
    const gateway = await startConsumer(uploads, uniqueName("group"), async (message) => {
      const error = new MirageError("INVALID_ARGUMENT", "upload event is not JSON", {
        reason: "invalid-event",
      });
      await producer.send(dlq, [deadLetterMessage(message, error)]);
    });
    const reader = await startConsumer(
      dlq,
      uniqueName("group"),
      async (message) => void letters.push(message),
    );
    await waitUntil("the dead letter arrived", () => letters.length === 1);
    await Promise.all([gateway.stop(), reader.stop()]);
    const [letter] = letters;
    expect(letter?.key).toBe("img-9");
    expect(letter?.value.equals(raw)).toBe(true);
    expect(letter?.headers["content-type"]).toBe("application/json");
    expect(readDeadLetterHeaders(letter?.headers ?? {})).toEqual({
      code: "invalid-event",
      reason: "upload event is not JSON",
    });
  });

  describe("with OpenTelemetry registered", () => {
    const exporter = new InMemorySpanExporter();
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      trace.setGlobalTracerProvider(
        new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      );
    });
    afterAll(() => {
      trace.disable();
      propagation.disable();
      context.disable();
    });

    it("carries the trace across the broker: the handler runs in a child span of the producer's", async () => {
      const topic = await topicWith(1);
      const tracer = trace.getTracer("test");
      const sent = await tracer.startActiveSpan("upload", async (span) => {
        await produce(topic, 0, 1);
        span.end();
        return span.spanContext();
      });
      const inside: { traceId?: string; spanId?: string; traceparent?: string } = {};
      const consumer = await startConsumer(topic, uniqueName("group"), async (message) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // the context survives awaits
        const active = trace.getActiveSpan()?.spanContext();
        inside.traceId = active?.traceId;
        inside.spanId = active?.spanId;
        inside.traceparent = message.headers.traceparent;
      });
      await waitUntil("the message was handled", () => inside.traceId !== undefined);
      await consumer.stop();
      expect(inside.traceparent).toBe(`00-${sent.traceId}-${sent.spanId}-01`);
      expect(inside.traceId).toBe(sent.traceId);
      const processSpan = exporter.getFinishedSpans().find((span) => span.name === `process ${topic}`);
      expect(processSpan?.spanContext().spanId).toBe(inside.spanId);
      expect(processSpan?.parentSpanContext?.spanId).toBe(sent.spanId);
      expect(processSpan?.attributes["messaging.destination.name"]).toBe(topic);
    });
  });
});
