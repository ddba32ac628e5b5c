import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { MirageError } from "@mirage/errors";

/** What a readiness check reports: ready means connected and able to work. */
export interface ReadinessReport {
  /** True only when the service can do its work now (broker connected, model loaded, …). */
  ready: boolean;
  /** One short status per dependency, e.g. `{ kafka: "connected", triage: "SERVING" }`. */
  checks: Record<string, string>;
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /** TCP port; the services' defaults are gateway 9464, triage 9465, reasoning 9466; 0 picks a free one. */
  port: number;
  /** Interface to listen on; default all interfaces (probes and scrapers come from outside). */
  host?: string;
  /** The registry served on `/metrics`. */
  registry: Registry;
  /** Asked on every `/readyz`; a throw or a hang counts as not ready. */
  readiness: () => Promise<ReadinessReport>;
  /** How long `/readyz` waits for `readiness` before answering 503; default 2000 ms. */
  readinessTimeoutMs?: number;
}

/** A running ops server. */
export interface OpsServer {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops listening and drops open connections (scrapers keep them alive). */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (200 while the process and its event loop
 * answer) and `/readyz` (200 when `readiness` says ready, else 503; the checks as JSON either way)
 * over plain node:http. Resolves once it listens; rejects with UNAVAILABLE if the port is taken.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 2000;
  const startedAt = Date.now();
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      // Only reached if writing the response itself failed; the client is gone or the socket broke.
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://ops").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return send(response, 405, "application/json", JSON.stringify({ error: "method not allowed" }), {
        allow: "GET, HEAD",
      });
    }
    switch (path) {
      case "/metrics":
        try {
          return send(response, 200, options.registry.contentType, await options.registry.metrics());
        } catch (error) {
          return send(
            response,
            500,
            "text/plain; charset=utf-8",
            `collecting metrics failed: ${message(error)}\n`,
          );
        }
      case "/healthz":
        return send(
          response,
          200,
          "application/json",
          JSON.stringify({ status: "ok", uptimeSeconds: (Date.now() - startedAt) / 1000 }),
        );
      case "/readyz": {
        const report = await checkReadiness(options.readiness, readinessTimeoutMs);
        return send(response, report.ready ? 200 : 503, "application/json", JSON.stringify(report));
      }
      default:
        return send(response, 404, "application/json", JSON.stringify({ error: `no route ${path}` }));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new MirageError("UNAVAILABLE", `ops server cannot listen on port ${options.port}: ${error.message}`, {
          reason: "ops-listen-failed",
          cause: error,
          details: { port: options.port },
        }),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Runs the readiness check under a timeout; failures become a not-ready report that says why. */
async function checkReadiness(
  readiness: () => Promise<ReadinessReport>,
  timeoutMs: number,
): Promise<ReadinessReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessReport>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, checks: { readiness: `no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([readiness(), timeout]);
  } catch (error) {
    return { ready: false, checks: { readiness: `check failed: ${message(error)}` } };
  } finally {
    clearTimeout(timer);
  }
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...headers,
  });
  response.end(body);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
