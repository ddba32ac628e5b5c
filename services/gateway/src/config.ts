import { envInt, envList, readEnv } from "@mirage/config";
import { z } from "zod";

/** The gateway's configuration, from the environment (defaults run on one machine). */
export const gatewayConfigSchema = z.object({
  KAFKA_BROKERS: envList(["127.0.0.1:19092"]),
  MIRAGE_UPLOADS_TOPIC: z.string().default("mirage.uploads.v1"),
  MIRAGE_VERDICTS_TOPIC: z.string().default("mirage.verdicts.v1"),
  MIRAGE_DLQ_TOPIC: z.string().default("mirage.uploads.dlq.v1"),
  MIRAGE_GATEWAY_GROUP: z.string().default("mirage-gateway"),
  /** Partitions of the topics the gateway creates when they are missing. */
  MIRAGE_TOPIC_PARTITIONS: envInt(3, 1, 1000),
  /** Events handled at once across partitions (bounded in-flight work; backpressure beyond). */
  MIRAGE_MAX_IN_FLIGHT: envInt(8, 1, 1024),
  TRIAGE_ADDRESS: z.string().default("127.0.0.1:50051"),
  REASONING_ADDRESS: z.string().default("127.0.0.1:50052"),
  /** Deadline of one Classify call. */
  MIRAGE_TRIAGE_DEADLINE_MS: envInt(5_000, 1),
  /** Deadline of one Analyze call: past it the verdict is NEEDS_REVIEW / FALLBACK (SLO: 15 s). */
  MIRAGE_REASONING_DEADLINE_MS: envInt(10_000, 1),
  /** Consecutive reasoning failures that open the circuit, and how long it stays open. */
  MIRAGE_BREAKER_FAILURES: envInt(3, 1),
  MIRAGE_BREAKER_OPEN_MS: envInt(5_000, 1),
  /** Roots under which file:// URIs may be read. */
  MIRAGE_FILE_ROOTS: envList([]),
  /** Hosts http(s) URIs may reach: host, host:port, *.suffix or *. */
  MIRAGE_HTTP_ALLOW: envList([]),
  MIRAGE_MAX_IMAGE_BYTES: envInt(50 * 1024 * 1024, 1024),
  MIRAGE_FETCH_TIMEOUT_MS: envInt(10_000, 1),
  GATEWAY_METRICS_PORT: envInt(9464, 0, 65535),
  /** Time allowed on SIGTERM to finish in-flight events before handing them back uncommitted. */
  SHUTDOWN_GRACE_MS: envInt(20_000, 0),
});

/** The validated configuration. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Reads the configuration once, at start-up. */
export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return readEnv(gatewayConfigSchema, env);
}
