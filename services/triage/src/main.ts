#!/usr/bin/env node
// Telemetry starts before anything else is imported, so every span of the service is recorded.
import { createLogger, startTelemetry } from "@mirage/telemetry";
import { MirageError } from "@mirage/errors";

const telemetry = startTelemetry({ serviceName: "triage" });
const log = createLogger({ service: "triage" });
const { readTriageConfig } = await import("./config.js");
const { startTriageServer } = await import("./server.js");

try {
  const server = await startTriageServer(readTriageConfig());
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    await server.close();
    await telemetry
      .shutdown()
      .catch((error: unknown) =>
        log.warn({ err: MirageError.from(error).message }, "span export failed at shutdown"),
      );
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
} catch (error) {
  const e = MirageError.from(error);
  log.fatal({ code: e.code, reason: e.reason, err: e.message }, "triage failed to start");
  await telemetry.shutdown().catch(() => undefined);
  process.exit(1);
}
