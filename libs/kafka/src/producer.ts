/**
 * The idempotent producer: acks from all in-sync replicas, sequence numbers so that a retried
 * batch is written once, and the Java client's murmur2 partitioner so that a key (the imageId)
 * lands on the same partition as it would from any other Kafka client.
 */
import { context } from "@opentelemetry/api";
import { Partitioners, type Message, type Producer } from "kafkajs";
import { kafkaFailure } from "./internal/errors.js";
import { handleOf } from "./internal/handle.js";
import type { KafkaClient } from "./client.js";
import { injectTraceHeaders } from "./trace-context.js";

/** A message to produce. */
export interface ProducerMessage {
  /** The key (the imageId on Mirage topics; null only for a dead letter whose event had none). */
  readonly key: string | null;
  /** The value. */
  readonly value: Buffer | string;
  /** Headers; the active trace context is added unless a `traceparent` is already there. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link createProducer}. */
export interface ProducerOptions {
  /** Time the partition leader has to gather acks from the in-sync replicas. Default 30000 ms. */
  readonly ackTimeoutMs?: number;
  /** Create a missing topic on first send (when the broker allows it). Default false: topics are ensured at start-up. */
  readonly allowAutoTopicCreation?: boolean;
  /**
   * Retries of a retriable failure (a leader moving, a broker restarting, a missing topic) before
   * send() rejects. Default 8: about a minute with kafkajs' back-off. `Infinity` never gives up
   * (kafkajs' own default for idempotent producers) but then never reports a missing topic either.
   */
  readonly retries?: number;
}

/** An idempotent, connected producer. */
export interface KafkaProducer {
  /**
   * Writes `messages` to `topic` and resolves once all are acknowledged by every in-sync replica.
   * Retriable failures are retried (see {@link ProducerOptions.retries}) under the same producer
   * id and sequence numbers, so a retry never writes a message twice. Rejects with UNAVAILABLE
   * (reason "kafka-produce-failed") when retries run out, on a non-retriable failure, or after
   * close(); the caller may send again, which can duplicate (consumers drop duplicates by eventId).
   */
  send(topic: string, messages: readonly ProducerMessage[]): Promise<void>;
  /** Waits for nothing more and disconnects. */
  close(): Promise<void>;
}

/** Connects an idempotent producer. Rejects with UNAVAILABLE when the cluster does not answer. */
export async function createProducer(
  client: KafkaClient,
  options: ProducerOptions = {},
): Promise<KafkaProducer> {
  const { kafka } = handleOf(client);
  const producer: Producer = kafka.producer({
    idempotent: true,
    // kafkajs keeps one sequence number per partition and takes a lock per broker while a batch is
    // in flight, so one request at a time per connection is what keeps the sequence valid.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: options.retries === Infinity ? Number.MAX_SAFE_INTEGER : (options.retries ?? 8) },
  });
  try {
    await producer.connect();
  } catch (error) {
    throw kafkaFailure(error, "kafka-unavailable", "cannot connect the producer", {
      brokers: client.brokers.join(","),
    });
  }
  const ackTimeoutMs = options.ackTimeoutMs ?? 30_000;

  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      const active = context.active();
      const records: Message[] = messages.map((message) => {
        const headers: Record<string, string> = { ...message.headers };
        if (headers.traceparent === undefined) injectTraceHeaders(active, headers);
        return { key: message.key, value: message.value, headers };
      });
      try {
        await producer.send({ topic, messages: records, acks: -1, timeout: ackTimeoutMs });
      } catch (error) {
        throw kafkaFailure(
          error,
          "kafka-produce-failed",
          `cannot produce ${records.length} message(s) to ${topic}`,
          {
            topic,
          },
        );
      }
    },
    async close() {
      await producer.disconnect();
    },
  };
}
