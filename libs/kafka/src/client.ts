/**
 * The connection settings to a Kafka cluster, and the admin work services do at start-up: make
 * sure their topics exist, and check that the cluster answers (readiness).
 */
import { MirageError } from "@mirage/errors";
import { Kafka } from "kafkajs";
import { kafkaFailure } from "./internal/errors.js";
import { attachHandle } from "./internal/handle.js";
import { createAdapterLog, kafkajsLogCreator, stderrSink, toKafkajsLevel } from "./internal/log.js";
import type { KafkaLogLevel, KafkaLogSink } from "./logging.js";

/** Options of {@link createKafkaClient}. */
export interface KafkaClientOptions {
  /** Bootstrap brokers: "host:port" entries, as a list or one comma-separated string (KAFKA_BROKERS). */
  readonly brokers: string | readonly string[];
  /** Names this process in broker logs and quotas, e.g. "mirage-gateway". */
  readonly clientId: string;
  /** Least severe entries written. Default "warn". */
  readonly logLevel?: KafkaLogLevel;
  /** Where log entries go. Default: one JSON line each on stderr. */
  readonly log?: KafkaLogSink;
  /** Time to open a TCP connection to a broker. Default 3000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Time a broker has to answer one request. Default 30000 ms. */
  readonly requestTimeoutMs?: number;
  /** Retries of a failed request, with exponential back-off (kafkajs' retry.retries). Default 5. */
  readonly retries?: number;
}

/** A topic that {@link KafkaClient.ensureTopics} creates when it is missing. */
export interface TopicSpec {
  /** Topic name. */
  readonly topic: string;
  /** Partitions when created; an existing topic keeps its count. */
  readonly partitions: number;
  /** Topic-level configuration when created, e.g. { "retention.ms": "86400000" }. */
  readonly config?: Readonly<Record<string, string>>;
}

/** What {@link KafkaClient.ensureTopics} found and did. */
export interface EnsureTopicsResult {
  /** Topics it created. */
  readonly created: readonly string[];
  /** Topics that were there already, with their partition count (which may differ from the spec). */
  readonly existing: readonly { readonly topic: string; readonly partitions: number }[];
}

/** The brokers that answered a metadata request. */
export interface ClusterDescription {
  /** Broker addresses as the cluster advertises them. */
  readonly brokers: readonly string[];
  /** Node id of the active controller, or null when the cluster reports none. */
  readonly controller: number | null;
  /** The cluster id. */
  readonly clusterId: string;
}

/** A configured Kafka client: make producers and consumers from it. Holds no connection itself. */
export interface KafkaClient {
  /** The bootstrap brokers, parsed. */
  readonly brokers: readonly string[];
  /** The client id. */
  readonly clientId: string;
  /** Creates the missing topics (and waits for their leaders); leaves existing ones as they are. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<EnsureTopicsResult>;
  /** Asks the cluster for its brokers and controller: fails with UNAVAILABLE when it does not answer. */
  describeCluster(): Promise<ClusterDescription>;
}

const brokerPattern = /^[^\s:,]+:\d{1,5}$/;

/** Parses "host:port,host:port" (or a list) and refuses anything else, naming the bad entry. */
export function parseBrokers(brokers: string | readonly string[]): string[] {
  const list = (typeof brokers === "string" ? brokers.split(",") : [...brokers])
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const bad = list.find((entry) => !brokerPattern.test(entry));
  if (list.length === 0 || bad !== undefined) {
    throw new MirageError(
      "INVALID_ARGUMENT",
      bad === undefined ? "no Kafka brokers given" : `Kafka broker "${bad}" is not host:port`,
      { reason: "kafka-brokers-invalid" },
    );
  }
  return list;
}

/**
 * Creates a client for the cluster at `options.brokers`. Nothing connects until a producer,
 * consumer or admin call needs it.
 */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  const brokers = parseBrokers(options.brokers);
  const level = options.logLevel ?? "warn";
  const log = createAdapterLog(level, options.log ?? stderrSink);
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: { retries: options.retries ?? 5 },
    logLevel: toKafkajsLevel(level),
    logCreator: kafkajsLogCreator(log),
  });

  /** Runs `work` with a connected admin client and always disconnects it. */
  async function withAdmin<T>(work: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  const client: KafkaClient = {
    brokers,
    clientId: options.clientId,

    async ensureTopics(topics) {
      const names = topics.map((spec) => spec.topic);
      try {
        return await withAdmin(async (admin) => {
          const present = new Set(await admin.listTopics());
          const missing = topics.filter((spec) => !present.has(spec.topic));
          if (missing.length > 0) {
            // Another service may create the same topic at the same moment: kafkajs then answers
            // false (TOPIC_ALREADY_EXISTS) instead of throwing, and the metadata below is still right.
            await admin.createTopics({
              waitForLeaders: true,
              topics: missing.map((spec) => ({
                topic: spec.topic,
                numPartitions: spec.partitions,
                configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
              })),
            });
          }
          const existing = topics.filter((spec) => present.has(spec.topic)).map((spec) => spec.topic);
          const metadata =
            existing.length > 0 ? await admin.fetchTopicMetadata({ topics: existing }) : { topics: [] };
          return {
            created: missing.map((spec) => spec.topic),
            existing: metadata.topics.map((topic) => ({
              topic: topic.name,
              partitions: topic.partitions.length,
            })),
          };
        });
      } catch (error) {
        throw kafkaFailure(error, "kafka-unavailable", `cannot ensure topics ${names.join(", ")}`, {
          brokers: brokers.join(","),
        });
      }
    },

    async describeCluster() {
      try {
        const cluster = await withAdmin((admin) => admin.describeCluster());
        return {
          brokers: cluster.brokers.map((broker) => `${broker.host}:${broker.port}`),
          controller: cluster.controller,
          clusterId: cluster.clusterId,
        };
      } catch (error) {
        throw kafkaFailure(error, "kafka-unavailable", `Kafka at ${brokers.join(",")} does not answer`);
      }
    },
  };
  attachHandle(client, { kafka, log, clientId: options.clientId });
  return client;
}
