import { ReasoningService, TriageService, verdictToJson, DecidedBy } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { checkHealth, createGrpcClient } from "@mirage/grpc";
import {
  createConsumer,
  createKafkaClient,
  createProducer,
  deadLetterMessage,
  type ConsumedMessage,
} from "@mirage/kafka";
import { createLogger, createMetrics, currentTraceId, startOpsServer, withSpan } from "@mirage/telemetry";
import { SpanKind, trace } from "@opentelemetry/api";
import { createCircuitBreaker } from "./circuit-breaker.js";
import type { GatewayConfig } from "./config.js";
import { createImageSource } from "./image-source.js";
import { processUpload, type PipelineDeps } from "./process-upload.js";

const tracer = trace.getTracer("@mirage/service-gateway");

/** A running gateway. */
export interface Gateway {
  metricsPort: number;
  /** Stops consuming, finishes in-flight events (up to the grace period), commits, disconnects. */
  close(): Promise<void>;
  /** Resolves when the consumer stopped, on close or on a failure. */
  done: Promise<void>;
}

/** Starts the gateway: Kafka consumer → fetch → Classify → (Analyze) → verdict or dead letter. */
export async function startGateway(config: GatewayConfig): Promise<Gateway> {
  const log = createLogger({ service: "gateway" });
  const metrics = createMetrics();
  const client = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: "mirage-gateway" });
  await client.ensureTopics([
    { topic: config.MIRAGE_UPLOADS_TOPIC, partitions: config.MIRAGE_TOPIC_PARTITIONS },
    { topic: config.MIRAGE_VERDICTS_TOPIC, partitions: config.MIRAGE_TOPIC_PARTITIONS },
    { topic: config.MIRAGE_DLQ_TOPIC, partitions: config.MIRAGE_TOPIC_PARTITIONS },
  ]);
  const producer = await createProducer(client);
  const triage = createGrpcClient(TriageService, config.TRIAGE_ADDRESS, {
    deadlineMs: config.MIRAGE_TRIAGE_DEADLINE_MS,
  });
  const reasoning = createGrpcClient(ReasoningService, config.REASONING_ADDRESS, {
    deadlineMs: config.MIRAGE_REASONING_DEADLINE_MS,
    // A retry would outlive the deadline that bounds escalated verdicts: fall back instead.
    retry: { maxAttempts: 1 },
  });
  const shutdown = new AbortController();
  const deps: PipelineDeps = {
    triage,
    reasoning,
    breaker: createCircuitBreaker({
      failureThreshold: config.MIRAGE_BREAKER_FAILURES,
      openMs: config.MIRAGE_BREAKER_OPEN_MS,
    }),
    readImage: createImageSource({
      fileRoots: config.MIRAGE_FILE_ROOTS,
      httpAllow: config.MIRAGE_HTTP_ALLOW,
      maxBytes: config.MIRAGE_MAX_IMAGE_BYTES,
      timeoutMs: config.MIRAGE_FETCH_TIMEOUT_MS,
    }),
    metrics,
    log,
    triageDeadlineMs: config.MIRAGE_TRIAGE_DEADLINE_MS,
    reasoningDeadlineMs: config.MIRAGE_REASONING_DEADLINE_MS,
    traceId: () => currentTraceId() ?? "",
  };

  const handle = async (message: ConsumedMessage): Promise<void> => {
    const consumedAt = Date.now();
    metrics.inflightEvents.inc();
    try {
      await withSpan(
        tracer,
        "gateway.process",
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            "messaging.kafka.partition": message.partition,
            "messaging.kafka.offset": message.offset,
          },
        },
        async (span) => {
          const outcome = await processUpload(
            message.value,
            message.headers,
            consumedAt,
            deps,
            shutdown.signal,
          );
          if (outcome.kind === "dead-letter") {
            span.setAttribute("mirage.dead_letter", outcome.error.reason);
            await producer.send(config.MIRAGE_DLQ_TOPIC, [
              deadLetterMessage(message, outcome.error, { key: outcome.imageId }),
            ]);
            metrics.deadLetters.inc({ reason: outcome.error.reason });
            log.info(
              { reason: outcome.error.reason, err: outcome.error.message, offset: message.offset },
              "dead letter",
            );
            return;
          }
          const json = verdictToJson(outcome.verdict);
          span.setAttributes({
            "mirage.event_id": json.eventId ?? "",
            "mirage.label": json.label,
            "mirage.decided_by": json.decidedBy,
          });
          await producer.send(config.MIRAGE_VERDICTS_TOPIC, [
            {
              key: outcome.request.imageId,
              value: JSON.stringify(json),
              headers: { "content-type": "application/json" },
            },
          ]);
          const escalated =
            outcome.verdict.decidedBy === DecidedBy.REASONING ||
            outcome.verdict.decidedBy === DecidedBy.FALLBACK;
          metrics.verdicts.inc({ label: json.label, decided_by: json.decidedBy });
          metrics.verdictLatency.observe({ escalated: String(escalated) }, (Date.now() - consumedAt) / 1000);
          log.info(
            { eventId: json.eventId, label: json.label, decidedBy: json.decidedBy, pAi: json.pAi },
            "verdict",
          );
        },
      );
    } finally {
      metrics.inflightEvents.dec();
    }
  };

  const consumer = createConsumer(client, {
    groupId: config.MIRAGE_GATEWAY_GROUP,
    topics: [config.MIRAGE_UPLOADS_TOPIC],
    maxInFlight: config.MIRAGE_MAX_IN_FLIGHT,
    handler: handle,
    stopTimeoutMs: config.SHUTDOWN_GRACE_MS,
    onFailure: (error) => {
      if (shutdown.signal.aborted) return; // handed back on purpose: left uncommitted for the next owner
      // `done` settles next, and the process exits 1 to be restarted (runService).
      log.fatal({ code: error.code, reason: error.reason, err: error.message }, "consumer failed");
    },
  });
  await consumer.start();

  let closing = false;
  const ops = await startOpsServer({
    port: config.GATEWAY_METRICS_PORT,
    registry: metrics.registry,
    readiness: async () => {
      const triageHealth = await checkHealth(config.TRIAGE_ADDRESS, "mirage.v1.TriageService").catch(
        (e: unknown) => MirageError.from(e).reason,
      );
      const ready = !closing && consumer.isRunning() && triageHealth === "SERVING";
      return {
        ready,
        checks: {
          kafka: consumer.isRunning() ? "consuming" : "stopped",
          triage: String(triageHealth),
          reasoning: deps.breaker.state(),
        },
      };
    },
  });
  log.info({ metricsPort: ops.port, topic: config.MIRAGE_UPLOADS_TOPIC }, "gateway consuming");

  return {
    metricsPort: ops.port,
    done: consumer.done,
    async close() {
      if (closing) return;
      closing = true;
      // Past the grace period, in-flight events are abandoned uncommitted: redelivered, never lost.
      const handBack = setTimeout(
        () => shutdown.abort(new MirageError("UNAVAILABLE", "gateway shutting down", { reason: "shutdown" })),
        config.SHUTDOWN_GRACE_MS,
      );
      await consumer.stop();
      clearTimeout(handBack);
      await producer.close();
      triage.close();
      reasoning.close();
      await ops.close();
      log.info(consumer.stats(), "gateway stopped");
    },
  };
}
