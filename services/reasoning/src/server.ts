import { ReasoningService } from "@mirage/contracts";
import { createDetector } from "@mirage/detector";
import { createGrpcServer } from "@mirage/grpc";
import {
  createReasoner,
  createVlmReasoner,
  reasoningCardFor,
  withDeadline,
  type Reasoner,
} from "@mirage/reasoning";
import { createLogger, createMetrics, createWorkerMetrics, startOpsServer } from "@mirage/telemetry";
import type { Logger } from "@mirage/telemetry";
import type { ReasoningStep } from "@mirage/contracts";
import { analyze } from "./analyze.js";
import type { ReasoningConfig } from "./config.js";
import { createExaminationQueue, logLevelOf, reportExecutionProvider } from "./gpu-worker.js";

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
  const worker = createWorkerMetrics(metrics);
  const detector = await createDetector({
    ...(config.MIRAGE_TRIAGE_MODEL_DIR ? { modelDir: config.MIRAGE_TRIAGE_MODEL_DIR } : {}),
    intraOpThreads: config.REASONING_INTRA_OP_THREADS,
    // Concurrent examinations' crops share inferences (what makes a GPU worth having).
    batch: { maxCrops: config.REASONING_BATCH_MAX_CROPS, maxWaitMs: config.REASONING_BATCH_WAIT_MS },
    executionProviders: config.MIRAGE_ORT_PROVIDERS,
    gpuDeviceId: config.REASONING_GPU_DEVICE_ID,
    onInference: ({ crops }) => worker.batchCrops.observe(crops),
    limits: { maxBytes: config.MIRAGE_MAX_IMAGE_BYTES, maxPixels: config.MIRAGE_MAX_IMAGE_PIXELS },
  });
  const executionProvider = reportExecutionProvider(
    detector.pixelModel,
    config.MIRAGE_ORT_PROVIDERS,
    worker,
    log,
  );
  const forensic = createReasoner({
    detector,
    card: reasoningCardFor(config.MIRAGE_REASONING_CARD_DIR),
    budget: { denseCrops: config.REASONING_DENSE_CROPS, reflectionCrops: config.REASONING_REFLECTION_CROPS },
  });
  const reasoner = config.REASONING_BACKEND === "vlm" ? vlmBackend(forensic, config, log) : forensic;
  const semaphore = createExaminationQueue(config, worker);
  const deps = { detector, reasoner, metrics, semaphore };
  const server = createGrpcServer({
    maxMessageBytes: config.MIRAGE_MAX_IMAGE_BYTES + 1024 * 1024,
    services: [
      {
        service: ReasoningService,
        implementation: {
          // The caller's deadline becomes the examination's time budget (the VLM gives up in time).
          analyze: async (request, ctx) => ({
            verdict: await analyze(
              request,
              { ...deps, reasoner: withDeadline(reasoner, ctx.deadline) },
              ctx.signal,
            ),
          }),
          analyzeStream: (request, ctx) =>
            streamAnalysis(request, { ...deps, reasoner: withDeadline(reasoner, ctx.deadline) }, ctx.signal),
        },
      },
    ],
    onHandlerError: (error, method) =>
      log[logLevelOf(error)](
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
        backend: config.REASONING_BACKEND,
        grpc: closing ? "draining" : `listening on ${grpcPort}`,
        executionProvider,
        queue: `${semaphore.active} running, ${semaphore.waiting} waiting`,
      },
    }),
  });
  log.info(
    { grpcPort, metricsPort: ops.port, reasoner: reasoner.version, executionProvider },
    "reasoning ready",
  );
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

/** REASONING_BACKEND=vlm: the VLM over the forensic reasoner; a failed VLM call is logged (the verdict records it). */
function vlmBackend(forensic: Reasoner, config: ReasoningConfig, log: Logger): Reasoner {
  return createVlmReasoner({
    forensic,
    endpoint: {
      // config.ts makes both required when the backend is vlm.
      url: config.VLM_URL!,
      model: config.VLM_MODEL!,
      ...(config.VLM_API_KEY ? { apiKey: config.VLM_API_KEY } : {}),
      timeoutMs: config.VLM_TIMEOUT_MS,
      maxTokens: config.VLM_MAX_TOKENS,
    },
    weight: config.VLM_WEIGHT,
    onFailure: (error) =>
      log.warn(
        { reason: error.reason, err: error.message },
        "VLM gave no usable answer: the forensic verdict stands",
      ),
  });
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
