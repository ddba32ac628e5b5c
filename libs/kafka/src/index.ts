/**
 * Kafka for Mirage Mesh: kafkajs behind a small interface (nothing else imports kafkajs).
 *
 * ```ts
 * import { createConsumer, createKafkaClient, createProducer, deadLetterMessage } from "@mirage/kafka";
 * const client = createKafkaClient({ brokers: "127.0.0.1:19092", clientId: "mirage-gateway" });
 * await client.ensureTopics([{ topic: "mirage.verdicts.v1", partitions: 3 }]);
 * const producer = await createProducer(client);
 * const consumer = createConsumer(client, {
 *   groupId: "mirage-gateway",
 *   topics: ["mirage.uploads.v1"],
 *   maxInFlight: 32,
 *   handler: async (message) => {
 *     await producer.send("mirage.verdicts.v1", [{ key: message.key, value: "{}" }]);
 *   },
 * });
 * await consumer.start();
 * ```
 */
export { createKafkaClient, parseBrokers } from "./client.js";
export type {
  ClusterDescription,
  EnsureTopicsResult,
  KafkaClient,
  KafkaClientOptions,
  TopicSpec,
} from "./client.js";
export type { ConsumedMessage } from "./consumed-message.js";
export { createConsumer } from "./consumer.js";
export type { ConsumerOptions, ConsumerStats, KafkaConsumer, MessageHandler } from "./consumer.js";
export {
  deadLetterCodeHeader,
  deadLetterHeaders,
  deadLetterMessage,
  deadLetterReasonHeader,
  readDeadLetterHeaders,
} from "./dead-letter.js";
export { decodeHeaders } from "./headers.js";
export type { RawHeaders } from "./headers.js";
export type { KafkaLogEntry, KafkaLogLevel, KafkaLogSink } from "./logging.js";
export { PartitionOffsets } from "./offset-tracker.js";
export type { OffsetKind } from "./offset-tracker.js";
export { createProducer } from "./producer.js";
export type { KafkaProducer, ProducerMessage, ProducerOptions } from "./producer.js";
export { extractTraceContext, injectTraceHeaders } from "./trace-context.js";
