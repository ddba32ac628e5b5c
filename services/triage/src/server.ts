import { TriageService } from "@mirage/contracts";
import { createDetector, createSemaphore } from "@mirage/detector";
import { createGrpcServer } from "@mirage/grpc";
import { createLogger, createMetrics, startOpsServer } from "@mirage/telemetry";
import { classify } from "./classify.js";
import type { TriageConfig } from "./config.js";

/** A running triage service. */
export interface TriageServer {
  grpcPort: number;
  metricsPort: number;
  /** Stops taking calls, finishes those in flight (up to the grace period), releases the model. */
  close(): Promise<void>;
}

/** Starts the triage service: model, gRPC server (health + reflection), metrics and health endpoints. */
export async function startTriageServer(config: TriageConfig): Promise<TriageServer> {
  const log = createLogger({ service: "triage" });
  const metrics = createMetrics();
  const detector = await createDetector({
    ...(config.MIRAGE_TRIAGE_MODEL_DIR ? { modelDir: config.MIRAGE_TRIAGE_MODEL_DIR } : {}),
    batch: { maxCrops: config.TRIAGE_BATCH_MAX_CROPS, maxWaitMs: config.TRIAGE_BATCH_WAIT_MS },
    executionProviders: config.MIRAGE_ORT_PROVIDERS,
    limits: { maxBytes: config.MIRAGE_MAX_IMAGE_BYTES, maxPixels: config.MIRAGE_MAX_IMAGE_PIXELS },
  });
  const executionProviders = detector.pixelModel?.executionProviders.join(",") ?? "none";
  for (const skipped of detector.pixelModel?.skippedExecutionProviders ?? [])
    log.error(
      { provider: skipped.name, runningOn: executionProviders, err: skipped.error },
      `execution provider ${skipped.name} unavailable: the pixel model runs on ${executionProviders}`,
    );
  const semaphore = createSemaphore(config.TRIAGE_MAX_CONCURRENCY);
  const server = createGrpcServer({
    maxMessageBytes: config.MIRAGE_MAX_IMAGE_BYTES + 1024 * 1024,
    services: [
      {
        service: TriageService,
        implementation: {
          classify: (request, ctx) => classify(request, { detector, metrics, semaphore }, ctx.signal),
        },
      },
    ],
    onHandlerError: (error, method) =>
      log[error.code === "INVALID_ARGUMENT" ? "info" : "error"](
        { method, code: error.code, reason: error.reason, err: error.message },
        "call failed",
      ),
  });
  const grpcPort = await server.bind(config.TRIAGE_LISTEN);
  let closing = false;
  const ops = await startOpsServer({
    port: config.TRIAGE_METRICS_PORT,
    registry: metrics.registry,
    readiness: async () => ({
      ready: !closing && server.isServing(""),
      checks: {
        model: detector.modelVersion,
        grpc: closing ? "draining" : `listening on ${grpcPort}`,
        inFlight: String(semaphore.active),
        executionProviders,
      },
    }),
  });
  log.info(
    { grpcPort, metricsPort: ops.port, model: detector.modelVersion, executionProviders },
    "triage ready",
  );
  return {
    grpcPort,
    metricsPort: ops.port,
    async close() {
      closing = true;
      await server.shutdown(config.SHUTDOWN_GRACE_MS);
      await detector.close();
      await ops.close();
      log.info("triage stopped");
    },
  };
}
