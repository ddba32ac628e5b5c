/** Log entries of the Kafka adapter: what a service routes to its own logger (pino). */

/** Log levels of the Kafka adapter, quietest first. */
export type KafkaLogLevel = "nothing" | "error" | "warn" | "info" | "debug";

/** One log entry of the Kafka adapter (from kafkajs or from this library). */
export interface KafkaLogEntry {
  /** Severity. */
  readonly level: Exclude<KafkaLogLevel, "nothing">;
  /** Where it comes from: a kafkajs namespace ("Connection", "Runner", ...) or "mirage.consumer". */
  readonly namespace: string;
  /** The message. */
  readonly message: string;
  /** Structured context (broker, group, topic, error...). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Receives the log entries of the Kafka adapter. */
export type KafkaLogSink = (entry: KafkaLogEntry) => void;
