import { envInt, readEnv } from "@mirage/config";
import { z } from "zod";

/** The reasoning service's configuration, from the environment (defaults run on one machine). */
export const reasoningConfigSchema = z.object({
  /** gRPC listen address. */
  REASONING_LISTEN: z.string().default("0.0.0.0:50052"),
  /** /metrics, /healthz, /readyz. */
  REASONING_METRICS_PORT: envInt(9466, 0, 65535),
  /** Model card directory of the pixel model the examination reuses; default the shipped one. */
  MIRAGE_TRIAGE_MODEL_DIR: z.string().optional(),
  /** Examinations at once (each is CPU-bound); more wait, bounded by the caller's deadline. */
  REASONING_MAX_CONCURRENCY: envInt(1, 1, 64),
  /** Crops a deep examination scores (dense grid, and the shifted grid of a reflection): its CPU cost. */
  REASONING_DENSE_CROPS: envInt(32, 1, 256),
  REASONING_REFLECTION_CROPS: envInt(24, 1, 256),
  /** onnxruntime threads per examination. */
  REASONING_INTRA_OP_THREADS: envInt(1, 1, 64),
  MIRAGE_MAX_IMAGE_BYTES: envInt(50 * 1024 * 1024, 1024),
  MIRAGE_MAX_IMAGE_PIXELS: envInt(64_000_000, 1),
  SHUTDOWN_GRACE_MS: envInt(15_000, 0),
});

/** The validated configuration. */
export type ReasoningConfig = z.infer<typeof reasoningConfigSchema>;

/** Reads the configuration once, at start-up. */
export function readReasoningConfig(env: NodeJS.ProcessEnv = process.env): ReasoningConfig {
  return readEnv(reasoningConfigSchema, env);
}
