import { createSemaphore, type PixelModel, type Semaphore } from "@mirage/detector";
import type { MirageError } from "@mirage/errors";
import type { Logger, WorkerMetrics } from "@mirage/telemetry";
import type { ReasoningConfig } from "./config.js";

/**
 * The examination queue: REASONING_MAX_CONCURRENCY examinations at once, up to
 * REASONING_MAX_QUEUE callers waiting (the next gets RESOURCE_EXHAUSTED `reasoning-overloaded`),
 * each wait observed — the signal autoscaling follows.
 */
export function createExaminationQueue(
  config: Pick<ReasoningConfig, "REASONING_MAX_CONCURRENCY" | "REASONING_MAX_QUEUE">,
  metrics: WorkerMetrics,
): Semaphore {
  return createSemaphore(config.REASONING_MAX_CONCURRENCY, {
    maxQueue: config.REASONING_MAX_QUEUE,
    overloadedReason: "reasoning-overloaded",
    observer: {
      waited: (waitMs, outcome) => {
        metrics.queueWait.observe(waitMs / 1000);
        if (outcome === "abandoned") metrics.queueDropped.inc({ reason: "abandoned" });
      },
      refused: () => metrics.queueDropped.inc({ reason: "full" }),
      changed: (active, waiting) => {
        metrics.inflight.set(active);
        metrics.queueDepth.set(waiting);
      },
    },
  });
}

/**
 * Says loudly where the pixel model runs: an info line when it runs on the first provider asked
 * for, an error line for each provider skipped (a GPU worker on CPU is slow and costly, and must
 * not go unnoticed), and the mirage_model_execution_provider gauge. Returns the readiness text.
 */
export function reportExecutionProvider(
  model: PixelModel | null,
  requested: readonly string[],
  metrics: WorkerMetrics,
  log: Logger,
): string {
  if (!model) return "none (no pixel model)";
  const provider = model.executionProviders[0]!;
  metrics.executionProvider.set({ model: model.version, provider, requested: requested.join(",") }, 1);
  for (const skipped of model.skippedExecutionProviders) {
    log.error(
      { provider: skipped.name, requested: requested.join(","), runningOn: provider, err: skipped.error },
      `execution provider ${skipped.name} unavailable: the pixel model runs on ${provider}`,
    );
  }
  log.info(
    { executionProviders: model.executionProviders, requested, model: model.version },
    `pixel model runs on ${provider}`,
  );
  const skipped = model.skippedExecutionProviders.map((s) => s.name);
  return skipped.length === 0 ? provider : `${provider} (${skipped.join(", ")} unavailable)`;
}

/** The log level of a failed call: refusals under load are expected, not errors of the service. */
export function logLevelOf(error: MirageError): "info" | "warn" | "error" {
  if (error.code === "INVALID_ARGUMENT") return "info";
  if (error.reason === "reasoning-overloaded" || error.reason === "abandoned-in-queue") return "warn";
  return "error";
}
