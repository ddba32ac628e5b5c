import { envInt, envList, readEnv } from "@mirage/config";
import { executionProvidersSchema } from "@mirage/detector";
import { z } from "zod";

/** The triage service's configuration, from the environment (defaults run on one machine). */
export const triageConfigSchema = z.object({
  /** gRPC listen address. */
  TRIAGE_LISTEN: z.string().default("0.0.0.0:50051"),
  /** /metrics, /healthz, /readyz. */
  TRIAGE_METRICS_PORT: envInt(9465, 0, 65535),
  /** Model card directory; default the shipped models/triage/v11. */
  MIRAGE_TRIAGE_MODEL_DIR: z.string().optional(),
  /** Crops of concurrent requests that share one inference, and how long a request waits for company. */
  TRIAGE_BATCH_MAX_CROPS: envInt(32, 1, 1024),
  TRIAGE_BATCH_WAIT_MS: envInt(3, 0, 1000),
  /**
   * onnxruntime execution providers in order of preference (`cuda` alone refuses to start without
   * CUDA; `cuda,cpu` falls back to CPU, logged as an error). Default `cpu`: triage is the CPU tier.
   */
  MIRAGE_ORT_PROVIDERS: envList(["cpu"]).pipe(executionProvidersSchema),
  /** Requests handled at once; more wait (and the gateway's deadline bounds the wait). */
  TRIAGE_MAX_CONCURRENCY: envInt(4, 1, 256),
  /** Largest image accepted, in bytes; also the gRPC message limit (plus room for the envelope). */
  MIRAGE_MAX_IMAGE_BYTES: envInt(50 * 1024 * 1024, 1024),
  /** Largest decoded image, in pixels. */
  MIRAGE_MAX_IMAGE_PIXELS: envInt(64_000_000, 1),
  /** Time allowed for in-flight calls on SIGTERM. */
  SHUTDOWN_GRACE_MS: envInt(10_000, 0),
});

/** The validated configuration. */
export type TriageConfig = z.infer<typeof triageConfigSchema>;

/** Reads the configuration once, at start-up. */
export function readTriageConfig(env: NodeJS.ProcessEnv = process.env): TriageConfig {
  return readEnv(triageConfigSchema, env);
}
