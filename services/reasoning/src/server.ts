import { ReasoningService } from "@mirage/contracts";
import { createDetector, createSemaphore } from "@mirage/detector";
import { createGrpcServer } from "@mirage/grpc";
import { createReasoner } from "@mirage/reasoning";
import { createLogger, createMetrics, startOpsServer } from "@mirage/telemetry";
import type { ReasoningStep } from "@mirage/contracts";
import { analyze } from "./analyze.js";
import type { ReasoningConfig } from "./config.js";

/** A running reasoning service. */
export interface ReasoningServer {
  grpcPort: number;
  metricsPort: number;
  close(): Promise<void>;
}

/** Starts the reasoning service: gRPC Analyze / AnalyzeStream (health + reflection) and its ops endpoints. */
export async function startReasoningServer(config: ReasoningConfig): Promise<ReasoningServer> {
  const log = createLogger({ service: "reasoning" });
  const metrics = createMetrics();
  const detector = await createDetector({
    ...(config.MIRAGE_TRIAGE_MODEL_DIR ? { modelDir: config.MIRAGE_TRIAGE_MODEL_DIR } : {}),
    intraOpThreads: config.REASONING_INTRA_OP_THREADS,
    limits: { maxBytes: config.MIRAGE_MAX_IMAGE_BYTES, maxPixels: config.MIRAGE_MAX_IMAGE_PIXELS },
  });
  const reasoner = createReasoner({
    detector,
    budget: { denseCrops: config.REASONING_DENSE_CROPS, reflectionCrops: config.REASONING_REFLECTION_CROPS },
  });
  const deps = { detector, reasoner, metrics, semaphore: createSemaphore(config.REASONING_MAX_CONCURRENCY) };
  const server = createGrpcServer({
    maxMessageBytes: config.MIRAGE_MAX_IMAGE_BYTES + 1024 * 1024,
    services: [
      {
        service: ReasoningService,
        implementation: {
          analyze: async (request, ctx) => ({ verdict: await analyze(request, deps, ctx.signal) }),
          analyzeStream: (request, ctx) => streamAnalysis(request, deps, ctx.signal),
        },
      },
    ],
    onHandlerError: (error, method) =>
      log[error.code === "INVALID_ARGUMENT" ? "info" : "error"](
        { method, code: error.code, reason: error.reason, err: error.message },
        "call failed",
      ),
  });
  const grpcPort = await server.bind(config.REASONING_LISTEN);
  let closing = false;
  const ops = await startOpsServer({
    port: config.REASONING_METRICS_PORT,
    registry: metrics.registry,
    readiness: async () => ({
      ready: !closing && server.isServing(""),
      checks: {
        model: detector.modelVersion,
        reasoner: reasoner.version,
        grpc: closing ? "draining" : `listening on ${grpcPort}`,
      },
    }),
  });
  log.info({ grpcPort, metricsPort: ops.port, reasoner: reasoner.version }, "reasoning ready");
  return {
    grpcPort,
    metricsPort: ops.port,
    async close() {
      closing = true;
      await server.shutdown(config.SHUTDOWN_GRACE_MS);
      await detector.close();
      await ops.close();
      log.info("reasoning stopped");
    },
  };
}

/** AnalyzeStream: each reasoning step as it is made, then the verdict. */
async function* streamAnalysis(
  request: Parameters<typeof analyze>[0],
  deps: Parameters<typeof analyze>[1],
  signal: AbortSignal,
): AsyncGenerator<{
  event:
    { case: "step"; value: ReasoningStep } | { case: "verdict"; value: Awaited<ReturnType<typeof analyze>> };
}> {
  const steps: ReasoningStep[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const result = analyze(request, deps, signal, (step) => {
    steps.push(step);
    wake?.();
  }).finally(() => {
    done = true;
    wake?.();
  });
  result.catch(() => undefined); // surfaced below, after the steps already made
  for (;;) {
    while (steps.length > 0) yield { event: { case: "step", value: steps.shift()! } };
    if (done) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
  yield { event: { case: "verdict", value: await result } };
}
