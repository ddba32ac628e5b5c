/**
 * kafkajs' logger, routed to one sink with Mirage's level names. kafkajs logs every error response
 * of the broker at ERROR even when it retries it ("coordinator is loading" while a fresh broker
 * starts) or throws it to the caller anyway; those are demoted to debug so that ERROR stays
 * meaningful. Likewise kafkajs warns on every idempotent producer with bounded retries; bounding
 * them is our documented choice (see producer.ts), so that warning is demoted to info. Nothing is
 * dropped: a demoted entry is still written at its new level.
 */
import { logLevel as kafkajsLevel, type logCreator } from "kafkajs";
import type { KafkaLogEntry, KafkaLogLevel, KafkaLogSink } from "../logging.js";

const rank: Record<KafkaLogLevel, number> = { nothing: 0, error: 1, warn: 2, info: 3, debug: 4 };

const fromKafkajs: Record<number, Exclude<KafkaLogLevel, "nothing">> = {
  [kafkajsLevel.ERROR]: "error",
  [kafkajsLevel.WARN]: "warn",
  [kafkajsLevel.INFO]: "info",
  [kafkajsLevel.DEBUG]: "debug",
};

/** The kafkajs level number for a level name. */
export function toKafkajsLevel(level: KafkaLogLevel): number {
  return {
    nothing: kafkajsLevel.NOTHING,
    error: kafkajsLevel.ERROR,
    warn: kafkajsLevel.WARN,
    info: kafkajsLevel.INFO,
    debug: kafkajsLevel.DEBUG,
  }[level];
}

/** Writes one JSON line per entry to stderr: the default sink. */
export const stderrSink: KafkaLogSink = (entry) => {
  process.stderr.write(
    `${JSON.stringify({ level: entry.level, logger: "kafka", namespace: entry.namespace, message: entry.message, ...entry.fields })}\n`,
  );
};

/** A logger for this library's own entries, filtered at `level`. */
export type AdapterLog = (entry: KafkaLogEntry) => void;

/** Filters entries below `level` before they reach `sink`. */
export function createAdapterLog(level: KafkaLogLevel, sink: KafkaLogSink): AdapterLog {
  return (entry) => {
    if (rank[entry.level] <= rank[level]) sink(entry);
  };
}

/** A kafkajs logCreator that feeds `log`, demoting broker error responses to debug. */
export function kafkajsLogCreator(log: AdapterLog): logCreator {
  return () =>
    ({ namespace, level, log: payload }) => {
      const { message } = payload;
      // kafkajs stamps its own time and logger name; the sink adds its own.
      const fields = Object.fromEntries(
        Object.entries(payload).filter(
          ([key]) => key !== "message" && key !== "timestamp" && key !== "logger",
        ),
      );
      let severity: KafkaLogEntry["level"] = fromKafkajs[level] ?? "info";
      if (namespace === "Connection" && message.startsWith("Response ")) severity = "debug";
      else if (namespace === "Producer" && message.startsWith("Limiting retries for the idempotent producer"))
        severity = "info";
      log({ level: severity, namespace, message, fields });
    };
}
