/**
 * The at-least-once consumer: a group member that hands each message to an async handler, many at
 * once, and commits an offset only when every earlier message of that partition has been handled.
 *
 * How it uses kafkajs: `eachBatch` with `eachBatchAutoResolve: false` and `autoCommit: false`.
 * eachBatch dispatches messages to handlers and returns without waiting for them, so the next
 * fetch overlaps with the handlers (kafkajs fetches again only after eachBatch returns). A message
 * is "resolved" for kafkajs when it is dispatched (that only moves the fetch position); the commit
 * is ours: the contiguous prefix of finished messages per partition ({@link PartitionOffsets}).
 *
 * Backpressure: at `maxInFlight` running handlers eachBatch waits for a free slot (heartbeating),
 * which holds the next fetch; a partition whose uncommitted window reaches
 * `maxUncommittedPerPartition` (a slow message at its head) is paused until its commit catches up,
 * so the other partitions keep flowing and a crash never has more than that to redeliver.
 *
 * Rebalances: when a heartbeat inside eachBatch reports a rebalance, it waits for every running
 * handler (up to `drainTimeoutMs`) and commits before letting kafkajs rejoin, so the next owner of
 * a partition starts after the last handled message. (kafkajs has no "partitions revoked" hook;
 * when its own fetch loop sees the rebalance first, handlers still running may see their message
 * handled again by the new owner: at-least-once, never lost. See README.)
 */
import { SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import { MirageError } from "@mirage/errors";
import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import type { KafkaClient } from "./client.js";
import type { ConsumedMessage } from "./consumed-message.js";
import { decodeHeaders } from "./headers.js";
import { isRebalancing, kafkaFailure } from "./internal/errors.js";
import { handleOf } from "./internal/handle.js";
import { Signal, sleep } from "./internal/signal.js";
import { PartitionOffsets } from "./offset-tracker.js";
import { extractTraceContext } from "./trace-context.js";

/**
 * Handles one message. Resolve only once its outcome is durable: the verdict or the dead letter
 * has been produced (acknowledged). A rejection means "not handled": the message is retried
 * (`handlerRetries`), and if it still fails the consumer stops without committing it (see
 * {@link ConsumerOptions.onFailure}). Turn bad input into a dead letter; throw only for failures
 * that a retry or a restart can fix.
 */
export type MessageHandler = (message: ConsumedMessage) => Promise<void>;

/** Options of {@link createConsumer}. */
export interface ConsumerOptions {
  /** Consumer group id. */
  readonly groupId: string;
  /** Topics to subscribe to. */
  readonly topics: readonly string[];
  /** Called for each message, inside the trace context its headers carry. */
  readonly handler: MessageHandler;
  /** Most handlers running at once, across all partitions. Default 32. */
  readonly maxInFlight?: number;
  /** Most messages of one partition dispatched but not committed before it is paused. Default 1000. */
  readonly maxUncommittedPerPartition?: number;
  /** Where a group with no committed offset starts: true = the earliest message. Default true. */
  readonly fromBeginning?: boolean;
  /** Group session timeout. Default 30000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Time the group waits for members to rejoin in a rebalance. Default 60000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** Heartbeat interval; also how often a waiting eachBatch heartbeats. Default 3000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Longest wait of one fetch for new data (and of a fetch loop whose partitions are all paused). Default 500 ms. */
  readonly fetchMaxWaitMs?: number;
  /** Most bytes fetched per partition per request (a larger single message still comes through). Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** Retries of a failed handler call, after the first attempt. Default 2. */
  readonly handlerRetries?: number;
  /** Back-off before the first retry; doubles each time. Default 500 ms. */
  readonly handlerRetryBackoffMs?: number;
  /** Longest wait for running handlers before a rebalance goes ahead. Default 30000 ms; below rebalanceTimeoutMs. */
  readonly drainTimeoutMs?: number;
  /** Longest wait for running handlers in stop(). Default 30000 ms. */
  readonly stopTimeoutMs?: number;
  /** Longest wait in start() for the first group assignment. Default 60000 ms. */
  readonly startTimeoutMs?: number;
  /**
   * Called once when the consumer fails: a handler failed all its attempts (reason
   * "kafka-handler-failed") or kafkajs gave up ("kafka-consumer-crashed"). By then the consumer has
   * stopped, committed what was handled before the failure and left the group. Default: throw the
   * error from a new task, which ends the process loudly; a restart redelivers the failed message.
   */
  readonly onFailure?: (error: MirageError) => void;
}

/** A point-in-time view of a consumer, for readiness checks, metrics and tests. */
export interface ConsumerStats {
  /** Handlers running now. */
  readonly inFlight: number;
  /** Messages dispatched but not committed, over all partitions. */
  readonly uncommitted: number;
  /** Partitions assigned to this member. */
  readonly assigned: readonly { readonly topic: string; readonly partition: number }[];
  /** Partitions paused because their uncommitted window is full. */
  readonly paused: readonly { readonly topic: string; readonly partition: number }[];
  /** Messages handled so far. */
  readonly handled: number;
  /** Handler attempts that failed (retried or fatal). */
  readonly failedAttempts: number;
}

/** A consumer group member. */
export interface KafkaConsumer {
  /** Connects, subscribes and resolves once the group has assigned partitions (possibly none). */
  start(): Promise<void>;
  /**
   * Stops taking messages, waits for running handlers (up to stopTimeoutMs), commits what was
   * handled and leaves the group. Safe to call more than once, and after a failure.
   */
  stop(): Promise<void>;
  /** True from a successful start() until stop() or a failure. */
  isRunning(): boolean;
  /** Resolves when the consumer has stopped, for whatever reason; see failure(). Never rejects. */
  readonly done: Promise<void>;
  /** The error the consumer failed with, if it did. */
  failure(): MirageError | undefined;
  /** Counters and the current assignment. */
  stats(): ConsumerStats;
}

type Settings = Required<Omit<ConsumerOptions, "onFailure">> & Pick<ConsumerOptions, "onFailure">;

/** Fills in the defaults of {@link ConsumerOptions} and checks the values that must relate. */
function withDefaults(options: ConsumerOptions): Settings {
  const settings: Settings = {
    maxInFlight: 32,
    maxUncommittedPerPartition: 1000,
    fromBeginning: true,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    heartbeatIntervalMs: 3000,
    fetchMaxWaitMs: 500,
    maxBytesPerPartition: 1024 * 1024,
    handlerRetries: 2,
    handlerRetryBackoffMs: 500,
    drainTimeoutMs: 30_000,
    stopTimeoutMs: 30_000,
    startTimeoutMs: 60_000,
    ...options,
  };
  const invalid = (message: string): MirageError =>
    new MirageError("INVALID_ARGUMENT", message, { reason: "kafka-consumer-options-invalid" });
  if (settings.topics.length === 0) throw invalid("a consumer needs at least one topic");
  if (!Number.isInteger(settings.maxInFlight) || settings.maxInFlight < 1)
    throw invalid("maxInFlight must be >= 1");
  if (settings.maxUncommittedPerPartition < settings.maxInFlight) {
    throw invalid("maxUncommittedPerPartition must be >= maxInFlight");
  }
  if (settings.heartbeatIntervalMs >= settings.sessionTimeoutMs) {
    throw invalid("heartbeatIntervalMs must be below sessionTimeoutMs");
  }
  if (settings.drainTimeoutMs >= settings.rebalanceTimeoutMs) {
    throw invalid(
      "drainTimeoutMs must be below rebalanceTimeoutMs, or the group drops this member mid-drain",
    );
  }
  return settings;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: PartitionOffsets;
  pausedByUs: boolean;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const tracer = trace.getTracer("@mirage/kafka");

function toConsumedMessage(topic: string, partition: number, raw: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: raw.offset,
    key: raw.key === null || raw.key === undefined ? null : raw.key.toString("utf8"),
    value: raw.value ?? Buffer.alloc(0),
    headers: decodeHeaders(raw.headers),
    timestamp: Number(raw.timestamp),
  };
}

/** Creates a consumer group member; call start(). */
export function createConsumer(client: KafkaClient, options: ConsumerOptions): KafkaConsumer {
  const settings = withDefaults(options);
  const { kafka, log } = handleOf(client);
  const kc: Consumer = kafka.consumer({
    groupId: settings.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    rebalanceTimeout: settings.rebalanceTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    maxWaitTimeInMs: settings.fetchMaxWaitMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    allowAutoTopicCreation: false,
  });

  let phase: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  let failure: MirageError | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const partitions = new Map<string, PartitionState>();
  let assigned: { topic: string; partition: number }[] = [];
  let inFlight = 0;
  let handled = 0;
  let failedAttempts = 0;
  const slotFreed = new Signal();
  const joined = new Signal();
  let joinCount = 0;
  // Set when a heartbeat in eachBatch saw a rebalance, until the group is joined again: kafkajs
  // still hands over the other batches of its current fetch, and they must not start handlers.
  let rebalancing = false;

  const accepting = (): boolean => phase === "running" || phase === "starting";
  const warn = (message: string, fields: Record<string, unknown> = {}): void =>
    log({
      level: "warn",
      namespace: "mirage.consumer",
      message,
      fields: { groupId: settings.groupId, ...fields },
    });

  /** pause()/resume() of kafkajs throw while it has no consumer group (between a crash and its restart). */
  function setPaused(pause: boolean, topicPartitions: { topic: string; partitions?: number[] }[]): void {
    try {
      if (pause) kc.pause(topicPartitions);
      else kc.resume(topicPartitions);
    } catch (error) {
      warn(`${pause ? "pause" : "resume"} failed`, { error: String(error), topicPartitions });
    }
  }

  // ---- commits: one request at a time, always the latest commit point of every partition ------

  let committing: Promise<void> | undefined;
  let commitWanted = false;
  let commitRetry: NodeJS.Timeout | undefined;

  function scheduleCommit(): Promise<void> {
    commitWanted = true;
    committing ??= runCommits().finally(() => (committing = undefined));
    return committing;
  }

  async function runCommits(): Promise<void> {
    while (commitWanted) {
      commitWanted = false;
      const points: { topic: string; partition: number; offset: string }[] = [];
      for (const state of partitions.values()) {
        const point = state.offsets.commitPoint();
        if (point !== undefined)
          points.push({ topic: state.topic, partition: state.partition, offset: point.toString() });
      }
      if (points.length === 0) continue;
      try {
        // Success is recorded by the COMMIT_OFFSETS event below: kafkajs skips the request
        // silently while its runner is not running, and then nothing may be marked committed.
        await kc.commitOffsets(points);
      } catch (error) {
        warn("offset commit failed; retrying in 1 s", { error: String(error), points });
        if (phase !== "stopped") {
          clearTimeout(commitRetry);
          commitRetry = setTimeout(() => void scheduleCommit(), 1000);
        }
      }
    }
  }

  kc.on(kc.events.COMMIT_OFFSETS, ({ payload }) => {
    for (const { topic, partitions: committed } of payload.topics) {
      for (const { partition, offset } of committed) {
        const state = partitions.get(partitionKey(topic, Number(partition)));
        if (state === undefined) continue;
        state.offsets.markCommitted(BigInt(String(offset)));
        // Hysteresis: resume at half the window, so a partition does not flap paused/resumed.
        if (state.pausedByUs && state.offsets.uncommitted() <= settings.maxUncommittedPerPartition / 2) {
          state.pausedByUs = false;
          setPaused(false, [{ topic, partitions: [state.partition] }]);
        }
      }
    }
  });

  // ---- group membership ----------------------------------------------------------------------

  kc.on(kc.events.GROUP_JOIN, ({ payload }) => {
    assigned = Object.entries(payload.memberAssignment).flatMap(([topic, list]) =>
      list.map((partition) => ({ topic, partition })),
    );
    const keep = new Set(assigned.map(({ topic, partition }) => partitionKey(topic, partition)));
    for (const [key, state] of partitions) {
      if (keep.has(key)) {
        // kafkajs forgets pauses when it restarts after a crash; ours still hold.
        if (state.pausedByUs) setPaused(true, [{ topic: state.topic, partitions: [state.partition] }]);
        continue;
      }
      // Lost in the rebalance: its late completions must not commit over the new owner's offsets.
      partitions.delete(key);
      if (state.pausedByUs) setPaused(false, [{ topic: state.topic, partitions: [state.partition] }]);
      if (state.offsets.inFlight() > 0) {
        warn("partition revoked with handlers still running; the new owner may handle them again", {
          topic: state.topic,
          partition: state.partition,
          inFlight: state.offsets.inFlight(),
        });
      }
    }
    joinCount += 1;
    rebalancing = false;
    joined.notify();
    void scheduleCommit();
  });

  kc.on(kc.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      warn("kafkajs consumer crashed and restarts", { error: String(payload.error) });
      return;
    }
    fail(
      kafkaFailure(payload.error, "kafka-consumer-crashed", `consumer of group ${settings.groupId} crashed`),
    );
  });

  // ---- dispatch ------------------------------------------------------------------------------

  /** Heartbeats; on a rebalance, first lets running handlers finish and commits, then rethrows. */
  async function heartbeatOrDrain(payload: EachBatchPayload): Promise<void> {
    // Drained already: the runner's own heartbeat after this batch sends kafkajs to rejoin.
    if (rebalancing) return;
    try {
      await payload.heartbeat();
    } catch (error) {
      if (isRebalancing(error)) await drain(payload);
      throw error;
    }
  }

  async function drain(payload: EachBatchPayload): Promise<void> {
    rebalancing = true;
    const started = Date.now();
    const running = inFlight;
    const deadline = started + settings.drainTimeoutMs;
    while (inFlight > 0 && Date.now() < deadline) {
      await slotFreed.wait(Math.min(settings.heartbeatIntervalMs, deadline - Date.now()));
      // Heartbeats keep this member in the group while it drains; during the rebalance they
      // answer REBALANCE_IN_PROGRESS, which is expected here. Anything else ends the drain.
      await payload.heartbeat().catch((error: unknown) => {
        if (!isRebalancing(error)) throw error;
      });
    }
    await scheduleCommit();
    if (inFlight > 0) {
      warn("rebalance goes ahead with handlers still running; their messages may be handled twice", {
        inFlight,
      });
    } else {
      log({
        level: "info",
        namespace: "mirage.consumer",
        message: "rebalance: running handlers finished and were committed before rejoining",
        fields: { groupId: settings.groupId, handlers: running, drainMs: Date.now() - started },
      });
    }
  }

  async function waitForSlot(payload: EachBatchPayload): Promise<void> {
    while (inFlight >= settings.maxInFlight && accepting() && !rebalancing) {
      await slotFreed.wait(settings.heartbeatIntervalMs);
      await heartbeatOrDrain(payload);
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const key = partitionKey(batch.topic, batch.partition);
    const usable = (): boolean => accepting() && !rebalancing && payload.isRunning() && !payload.isStale();
    for (const raw of batch.messages) {
      if (!usable()) break;
      let state = partitions.get(key);
      const offset = BigInt(raw.offset);
      const kind = state?.offsets.classify(offset) ?? "new";
      if (kind === "duplicate") {
        // Refetched after a rebalance while its handler runs or its commit is pending.
        payload.resolveOffset(raw.offset);
        continue;
      }
      if (state === undefined || kind === "rewind") {
        if (kind === "rewind")
          warn("offsets moved back; handling from there again", { topic: batch.topic, offset: raw.offset });
        state = {
          topic: batch.topic,
          partition: batch.partition,
          offsets: new PartitionOffsets(),
          pausedByUs: false,
        };
        partitions.set(key, state);
      }
      if (state.offsets.uncommitted() >= settings.maxUncommittedPerPartition) {
        // The rest of the batch stays unresolved: kafkajs fetches it again after resume().
        state.pausedByUs = true;
        setPaused(true, [{ topic: batch.topic, partitions: [batch.partition] }]);
        break;
      }
      await waitForSlot(payload);
      if (!usable() || partitions.get(key) !== state) break;
      state.offsets.dispatch(offset);
      payload.resolveOffset(raw.offset);
      inFlight += 1;
      void run(state, toConsumedMessage(batch.topic, batch.partition, raw));
    }
    await heartbeatOrDrain(payload);
  }

  /** Runs the handler for one message with retries, inside the message's trace context. */
  async function run(state: PartitionState, message: ConsumedMessage): Promise<void> {
    const parent = extractTraceContext(message.headers);
    const span = tracer.startSpan(
      `process ${message.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "process",
          "messaging.destination.name": message.topic,
          "messaging.destination.partition.id": String(message.partition),
          "messaging.kafka.offset": Number(message.offset),
          "messaging.consumer.group.name": settings.groupId,
          ...(message.key === null ? {} : { "messaging.kafka.message.key": message.key }),
        },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    let attempt = 0;
    try {
      for (;;) {
        try {
          await context.with(spanContext, () => settings.handler(message));
          break;
        } catch (error) {
          failedAttempts += 1;
          span.recordException(error instanceof Error ? error : String(error));
          if (attempt >= settings.handlerRetries) throw error;
          await sleep(settings.handlerRetryBackoffMs * 2 ** attempt);
          attempt += 1;
        }
      }
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      span.end();
      inFlight -= 1;
      slotFreed.notify();
      fail(
        new MirageError(
          "INTERNAL",
          `handler failed ${attempt + 1} time(s) on ${message.topic}/${message.partition}@${message.offset}: ${
            error instanceof Error ? error.message : String(error)
          }`,
          {
            reason: "kafka-handler-failed",
            cause: error,
            details: {
              topic: message.topic,
              partition: message.partition,
              offset: message.offset,
              attempts: attempt + 1,
            },
          },
        ),
      );
      return;
    }
    span.end();
    inFlight -= 1;
    handled += 1;
    state.offsets.complete(BigInt(message.offset));
    slotFreed.notify();
    // A partition lost in a rebalance is no longer in the map: its completions commit nothing.
    if (partitions.get(partitionKey(state.topic, state.partition)) === state && phase !== "stopped") {
      void scheduleCommit();
    }
  }

  // ---- life cycle ----------------------------------------------------------------------------

  function fail(error: MirageError): void {
    if (failure !== undefined || phase === "stopped") return;
    failure = error;
    // While starting, start() reports the failure itself (it rejects) and cleans up.
    if (phase === "starting") joined.notify();
    else void shutdown();
  }

  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      const wasStarted = phase !== "new";
      phase = "stopping";
      if (wasStarted) {
        // Stop fetching; kafkajs keeps heartbeating for us while the handlers finish.
        setPaused(
          true,
          settings.topics.map((topic) => ({ topic })),
        );
        const deadline = Date.now() + settings.stopTimeoutMs;
        while (inFlight > 0 && Date.now() < deadline) await slotFreed.wait(deadline - Date.now());
        if (inFlight > 0) {
          warn(
            "stopping with handlers still running; their messages are not committed and will be redelivered",
            {
              inFlight,
            },
          );
        }
        await scheduleCommit();
        clearTimeout(commitRetry);
        await kc.disconnect().catch((error: unknown) => warn("disconnect failed", { error: String(error) }));
      }
      phase = "stopped";
      resolveDone();
      if (failure !== undefined) {
        const error = failure;
        const report =
          settings.onFailure ??
          ((reported: MirageError) =>
            setImmediate(() => {
              throw reported;
            }));
        report(error);
      }
    })();
    return stopping;
  }

  return {
    async start() {
      if (phase !== "new") {
        throw new MirageError("FAILED_PRECONDITION", "a consumer starts once", {
          reason: "kafka-consumer-started",
        });
      }
      phase = "starting";
      try {
        await kc.connect();
        await kc.subscribe({ topics: [...settings.topics], fromBeginning: settings.fromBeginning });
        await kc.run({
          eachBatch,
          eachBatchAutoResolve: false,
          autoCommit: false,
          partitionsConsumedConcurrently: 1,
        });
        const deadline = Date.now() + settings.startTimeoutMs;
        while (joinCount === 0 && failure === undefined && Date.now() < deadline) {
          await joined.wait(deadline - Date.now());
        }
        if (failure !== undefined) throw failure;
        if (joinCount === 0) {
          throw new MirageError("UNAVAILABLE", `no group assignment within ${settings.startTimeoutMs} ms`, {
            reason: "kafka-unavailable",
          });
        }
      } catch (error) {
        await kc
          .disconnect()
          .catch((cleanup: unknown) => warn("disconnect failed", { error: String(cleanup) }));
        phase = "stopped";
        resolveDone();
        throw kafkaFailure(
          error,
          "kafka-unavailable",
          `cannot start the consumer of group ${settings.groupId}`,
        );
      }
      phase = "running";
    },
    stop: shutdown,
    isRunning: () => phase === "running",
    done,
    failure: () => failure,
    stats() {
      let uncommitted = 0;
      for (const state of partitions.values()) uncommitted += state.offsets.uncommitted();
      return {
        inFlight,
        uncommitted,
        assigned: [...assigned],
        paused: [...partitions.values()]
          .filter((state) => state.pausedByUs)
          .map(({ topic, partition }) => ({ topic, partition })),
        handled,
        failedAttempts,
      };
    },
  };
}
