import { isMirageError } from "@mirage/errors";
import { describe, expect, it } from "vitest";
import { createKafkaClient, parseBrokers } from "./client.js";
import { createConsumer } from "./consumer.js";

describe("parseBrokers", () => {
  it("accepts a comma-separated string or a list", () => {
    expect(parseBrokers(" 127.0.0.1:19092, kafka-1:9092 ")).toEqual(["127.0.0.1:19092", "kafka-1:9092"]);
    expect(parseBrokers(["a:1"])).toEqual(["a:1"]);
  });

  it("names the entry it refuses", () => {
    expect(() => parseBrokers("127.0.0.1")).toThrow(/"127.0.0.1" is not host:port/);
    expect(() => parseBrokers(" , ")).toThrow(/no Kafka brokers/);
    const error = ((): unknown => {
      try {
        return parseBrokers("");
      } catch (caught) {
        return caught;
      }
    })();
    expect(isMirageError(error, "INVALID_ARGUMENT")).toBe(true);
  });
});

describe("createConsumer options", () => {
  const client = createKafkaClient({ brokers: "127.0.0.1:1", clientId: "options-test", logLevel: "nothing" });
  const handler = async (): Promise<void> => undefined;

  it("refuses settings that cannot work together", () => {
    expect(() => createConsumer(client, { groupId: "g", topics: [], handler })).toThrow(/at least one topic/);
    expect(() => createConsumer(client, { groupId: "g", topics: ["t"], handler, maxInFlight: 0 })).toThrow(
      /maxInFlight/,
    );
    expect(() =>
      createConsumer(client, {
        groupId: "g",
        topics: ["t"],
        handler,
        maxInFlight: 10,
        maxUncommittedPerPartition: 5,
      }),
    ).toThrow(/maxUncommittedPerPartition/);
    expect(() =>
      createConsumer(client, {
        groupId: "g",
        topics: ["t"],
        handler,
        drainTimeoutMs: 60_000,
        rebalanceTimeoutMs: 60_000,
      }),
    ).toThrow(/drainTimeoutMs/);
  });

  it("refuses a client that createKafkaClient did not make", () => {
    const fake = {
      brokers: ["a:1"],
      clientId: "x",
      ensureTopics: async () => ({ created: [], existing: [] }),
    };
    expect(() => createConsumer(fake as never, { groupId: "g", topics: ["t"], handler })).toThrow(
      /createKafkaClient/,
    );
  });

  it("fails to start with UNAVAILABLE when no broker answers", async () => {
    const lonely = createKafkaClient({
      brokers: "127.0.0.1:1",
      clientId: "options-test",
      logLevel: "nothing",
      connectionTimeoutMs: 200,
      retries: 0,
    });
    const consumer = createConsumer(lonely, { groupId: "g", topics: ["t"], handler });
    await expect(consumer.start()).rejects.toMatchObject({
      code: "UNAVAILABLE",
      reason: "kafka-unavailable",
    });
    expect(consumer.isRunning()).toBe(false);
    await consumer.done;
  });
});
