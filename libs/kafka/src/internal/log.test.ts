import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { KafkaLogEntry } from "../logging.js";
import { createAdapterLog, kafkajsLogCreator } from "./log.js";

function capture(level: Parameters<typeof createAdapterLog>[0]) {
  const entries: KafkaLogEntry[] = [];
  const write = kafkajsLogCreator(createAdapterLog(level, (entry) => entries.push(entry)))(logLevel.DEBUG);
  const emit = (
    namespace: string,
    kafkajsLevel: logLevel,
    message: string,
    extra: Record<string, unknown> = {},
  ) =>
    write({
      namespace,
      level: kafkajsLevel,
      label: "",
      log: { timestamp: "t", logger: "kafkajs", message, ...extra },
    });
  return { entries, emit };
}

describe("kafkajs logs", () => {
  it("keeps the fields, maps the level, and drops kafkajs' own timestamp and logger name", () => {
    const { entries, emit } = capture("debug");
    emit("Runner", logLevel.WARN, "The group is rebalancing, re-joining", { groupId: "g" });
    expect(entries).toEqual([
      {
        level: "warn",
        namespace: "Runner",
        message: "The group is rebalancing, re-joining",
        fields: { groupId: "g" },
      },
    ]);
  });

  it("demotes broker error responses that kafkajs also throws to the caller", () => {
    const { entries, emit } = capture("warn");
    emit("Connection", logLevel.ERROR, "Response GroupCoordinator(key: 10, version: 2)", {
      error: "loading",
    });
    emit(
      "Producer",
      logLevel.WARN,
      "Limiting retries for the idempotent producer may invalidate EoS guarantees",
    );
    emit("Consumer", logLevel.ERROR, "Crash: KafkaJSNumberOfRetriesExceeded");
    expect(entries.map((entry) => [entry.level, entry.namespace])).toEqual([["error", "Consumer"]]);
    const all = capture("debug");
    all.emit("Connection", logLevel.ERROR, "Response Heartbeat(key: 12, version: 3)");
    expect(all.entries[0]?.level).toBe("debug");
  });
});
