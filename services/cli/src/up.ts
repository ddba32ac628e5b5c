import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { MirageError } from "@mirage/errors";

/** A service `mirage up` runs: its entry file and the port of its /readyz. */
interface ServiceSpec {
  name: "triage" | "reasoning" | "gateway";
  entry: string;
  metricsPort: number;
}

const entry = (name: string) => fileURLToPath(new URL(`../../${name}/dist/main.js`, import.meta.url));

/** Options of {@link runUp}. */
export interface UpOptions {
  /** Longest wait for each service to become ready. */
  readyTimeoutMs: number;
  /** Where service output goes (prefixed by the service name). */
  out: (line: string) => void;
}

/**
 * `mirage up`: triage and reasoning, then the gateway, as local processes against KAFKA_BROKERS,
 * each started once the one before is ready. Ctrl-C (or SIGTERM) drains the gateway first, then
 * stops the rest; a service that dies takes the others down with it.
 */
export async function runUp(options: UpOptions): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MIRAGE_FILE_ROOTS: process.env.MIRAGE_FILE_ROOTS ?? process.cwd(),
  };
  const specs: ServiceSpec[] = [
    { name: "triage", entry: entry("triage"), metricsPort: Number(env.TRIAGE_METRICS_PORT ?? 9465) },
    { name: "reasoning", entry: entry("reasoning"), metricsPort: Number(env.REASONING_METRICS_PORT ?? 9466) },
    { name: "gateway", entry: entry("gateway"), metricsPort: Number(env.GATEWAY_METRICS_PORT ?? 9464) },
  ];
  const running: Array<{ spec: ServiceSpec; child: ChildProcess; exited: Promise<number | null> }> = [];
  let stopping = false;
  let failed = false;

  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    // Reverse order: the gateway drains and commits while triage and reasoning still answer.
    for (const service of [...running].reverse()) {
      if (service.child.exitCode === null) service.child.kill("SIGTERM");
      await service.exited;
    }
  };
  const onSignal = () => void stopAll();
  // If `up` itself goes away, its services go with it.
  const onExit = () => running.forEach((s) => s.child.exitCode === null && s.child.kill("SIGKILL"));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", onExit);

  try {
    for (const spec of specs) {
      if (stopping) break;
      // Own process group: a terminal's Ctrl-C reaches `up` alone, which then stops the services in order.
      const child = spawn(process.execPath, [spec.entry], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream! }).on("line", (line) => options.out(`[${spec.name}] ${line}`));
      }
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      running.push({ spec, child, exited });
      void exited.then((code) => {
        if (!stopping) {
          failed = true;
          options.out(`[up] ${spec.name} exited with code ${code}; stopping the others`);
          void stopAll();
        }
      });
      await waitReady(spec, options.readyTimeoutMs, () => stopping);
      options.out(`[up] ${spec.name} ready (metrics and /readyz on :${spec.metricsPort})`);
    }
    if (!stopping) options.out("[up] all services ready; Ctrl-C drains and stops them");
    await Promise.all(running.map((s) => s.exited));
  } catch (error) {
    failed = true;
    options.out(`[up] ${MirageError.from(error).message}`);
    await stopAll();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
  }
  return failed ? 1 : 0;
}

async function waitReady(spec: ServiceSpec, timeoutMs: number, cancelled: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const ok = await fetch(`http://127.0.0.1:${spec.metricsPort}/readyz`, {
      signal: AbortSignal.timeout(1000),
    })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (!cancelled()) {
    throw new MirageError("DEADLINE_EXCEEDED", `${spec.name} was not ready within ${timeoutMs} ms`, {
      reason: "service-not-ready",
    });
  }
}
