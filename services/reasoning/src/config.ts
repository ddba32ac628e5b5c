import { envInt, envList, envNumber, readEnv } from "@mirage/config";
import { executionProvidersSchema } from "@mirage/detector";
import { z } from "zod";

/** The reasoning service's configuration, from the environment (defaults run on one machine). */
export const reasoningConfigSchema = z.object({
  /** gRPC listen address. */
  REASONING_LISTEN: z.string().default("0.0.0.0:50052"),
  /** /metrics, /healthz, /readyz. */
  REASONING_METRICS_PORT: envInt(9466, 0, 65535),
  /** Model card directory of the pixel model the examination reuses; default the shipped one. */
  MIRAGE_TRIAGE_MODEL_DIR: z.string().optional(),
  /** The reasoning card (calibration, thresholds, adaptive rule); default the shipped one; "none": uncalibrated. */
  MIRAGE_REASONING_CARD_DIR: z.string().optional(),
  /** Examinations at once (each is CPU-bound); more wait, bounded by the caller's deadline. */
  REASONING_MAX_CONCURRENCY: envInt(1, 1, 64),
  /**
   * Calls that may wait for an examination; the next is refused at once with RESOURCE_EXHAUSTED
   * `reasoning-overloaded` (the gateway answers it with its fallback verdict). Waiting longer than
   * the caller's deadline helps no one: size it to about deadline ÷ examination time × concurrency.
   */
  REASONING_MAX_QUEUE: envInt(32, 0, 10_000),
  /** Micro-batching: crops of concurrent examinations that share one inference, and how long a chunk waits for company. */
  REASONING_BATCH_MAX_CROPS: envInt(64, 1, 1024),
  REASONING_BATCH_WAIT_MS: envInt(2, 0, 1000),
  /**
   * onnxruntime execution providers in order of preference: `cuda` alone refuses to start without
   * CUDA; `cuda,cpu` falls back to CPU (logged as an error, shown in /readyz and
   * mirage_model_execution_provider). Default `cpu`.
   */
  MIRAGE_ORT_PROVIDERS: envList(["cpu"]).pipe(executionProvidersSchema),
  /** GPU ordinal for cuda / tensorrt (0 under Kubernetes, where the device plugin exposes the pod's GPU as 0). */
  REASONING_GPU_DEVICE_ID: envInt(0, 0, 64),
  /** Crops a deep examination scores (dense grid, and the shifted grid of a reflection): its CPU cost. */
  REASONING_DENSE_CROPS: envInt(32, 1, 256),
  REASONING_REFLECTION_CROPS: envInt(24, 1, 256),
  /** onnxruntime threads per examination. */
  REASONING_INTRA_OP_THREADS: envInt(1, 1, 64),
  /** `forensic` (built in, no GPU) or `vlm`: the forensic examination, then a VLM (libs/reasoning README "VLM backend"). */
  REASONING_BACKEND: z.enum(["forensic", "vlm"]).default("forensic"),
  /** The VLM's OpenAI-compatible base URL (`http://gpu-worker:8000/v1`); required for `vlm`. */
  VLM_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The served model's name (`Qwen/Qwen2.5-VL-7B-Instruct`); required for `vlm`. */
  VLM_MODEL: z.string().trim().min(1).optional(),
  /** Bearer token, when the VLM server wants one (vLLM `--api-key`). Never logged. */
  VLM_API_KEY: z.string().optional(),
  /** Longest VLM call; the caller's deadline may cut it shorter (the forensic verdict then stands). */
  VLM_TIMEOUT_MS: envInt(8000, 100, 600_000),
  VLM_MAX_TOKENS: envInt(1024, 64, 32_768),
  /** Most log-odds the VLM's judgement moves the forensic pAi. */
  VLM_WEIGHT: envNumber(1, 0, 4),
  MIRAGE_MAX_IMAGE_BYTES: envInt(50 * 1024 * 1024, 1024),
  MIRAGE_MAX_IMAGE_PIXELS: envInt(64_000_000, 1),
  SHUTDOWN_GRACE_MS: envInt(15_000, 0),
});

/** The validated configuration. */
export type ReasoningConfig = z.infer<typeof reasoningConfigSchema>;

/** Reads the configuration once, at start-up. */
export function readReasoningConfig(env: NodeJS.ProcessEnv = process.env): ReasoningConfig {
  return readEnv(reasoningConfigSchema.superRefine(requireVlmEndpoint), env);
}

// The VLM backend cannot start without knowing where its model is: say which variable is missing.
function requireVlmEndpoint(
  config: { REASONING_BACKEND: string; VLM_URL?: string | undefined; VLM_MODEL?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (config.REASONING_BACKEND !== "vlm") return;
  for (const key of ["VLM_URL", "VLM_MODEL"] as const) {
    if (!config[key])
      ctx.addIssue({ code: "custom", path: [key], message: "required when REASONING_BACKEND=vlm" });
  }
}
