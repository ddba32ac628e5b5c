import { MirageError } from "@mirage/errors";
import { createLogger } from "./logger.js";
import { startTelemetry } from "./start-telemetry.js";

/** What a service's start function hands back. */
export interface RunningService {
  /** Stops taking work, finishes (or hands back) what is in flight, releases resources. */
  close(): Promise<void>;
  /** Settles if the service stops working on its own (a consumer that failed): the process then exits 1. */
  done?: Promise<void>;
}

/**
 * The whole life of a service process: telemetry first, then `start` (which should import the
 * service's modules itself, so that they load after the SDK), then on SIGTERM or SIGINT a graceful
 * close, span flush and exit 0. A failed start, or a service that stops on its own, exits 1.
 *
 * ```ts
 * await runService("triage", async () => {
 *   const { startTriageServer } = await import("./server.js");
 *   return startTriageServer(readTriageConfig());
 * });
 * ```
 */
export async function runService(name: string, start: () => Promise<RunningService>): Promise<void> {
  const telemetry = startTelemetry({ serviceName: name });
  const log = createLogger({ service: name });
  const flush = () =>
    telemetry
      .shutdown()
      .catch((error: unknown) =>
        log.warn({ err: MirageError.from(error).message }, "span export failed at shutdown"),
      );
  let service: RunningService;
  try {
    service = await start();
  } catch (error) {
    const e = MirageError.from(error);
    log.fatal({ code: e.code, reason: e.reason, err: e.message }, `${name} failed to start`);
    await flush();
    process.exit(1);
  }
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, "draining");
    await service.close().catch((error: unknown) => {
      log.error({ err: MirageError.from(error).message }, "close failed");
      code = 1;
    });
    await flush();
    process.exit(code);
  };
  process.on("SIGTERM", () => void stop("SIGTERM", 0));
  process.on("SIGINT", () => void stop("SIGINT", 0));
  void service.done?.then(() => {
    if (!stopping) {
      log.fatal(`${name} stopped working on its own; exiting so that it is restarted`);
      void stop("stopped on its own", 1);
    }
  });
}
