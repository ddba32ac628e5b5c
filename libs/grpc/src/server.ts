import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { MirageError } from "@mirage/errors";
import { adaptImplementation, type HandlerErrorListener, type ServiceRegistration } from "./handlers.js";
import { HealthStatus } from "./health.js";
import { addReflection } from "./reflection.js";
import { serviceDefinition } from "./service-definition.js";

/** The default largest message, both ways: a large photo with room to spare. */
export const defaultMaxMessageBytes = 64 * 1024 * 1024;

/** Server keepalive: how the server pings idle connections to find dead clients. */
export interface ServerKeepaliveOptions {
  /** Ping a connection after this long without activity. Default 30 000 ms. */
  timeMs?: number;
  /** Close the connection when a ping is not answered within this. Default 10 000 ms. */
  timeoutMs?: number;
}

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions<T extends readonly GenServiceMethods[] = readonly GenServiceMethods[]> {
  /** The services and their handlers; each is type-checked against its generated descriptor. */
  services: { readonly [K in keyof T]: ServiceRegistration<T[K]> };
  /** Largest message received or sent. Default 64 MiB ({@link defaultMaxMessageBytes}). */
  maxMessageBytes?: number;
  /** Keepalive pings. Default 30 s, 10 s timeout. */
  keepalive?: ServerKeepaliveOptions;
  /**
   * Whether the services report SERVING from the start. Default true; pass false for a service that
   * must warm up first (load a model) and then call `setServing("", true)`.
   */
  serving?: boolean;
  /** Called with every error a handler ends with, after mapping (to log it). Default none. */
  onHandlerError?: HandlerErrorListener;
}

/** A grpc-js server with health and reflection, and the few operations a service needs. */
export interface GrpcServer {
  /** The underlying grpc-js server. */
  readonly server: grpc.Server;
  /**
   * Binds `address` ("0.0.0.0:50051"; port 0 picks a free port) without TLS, or with `credentials`,
   * and resolves to the bound port.
   */
  bind(address: string, credentials?: grpc.ServerCredentials): Promise<number>;
  /** Sets the health of one service by full name ("mirage.v1.TriageService"), or of all with "". */
  setServing(service: string, serving: boolean): void;
  /** True when `service` ("" for all) reports SERVING. */
  isServing(service: string): boolean;
  /**
   * Stops taking calls, reports NOT_SERVING, lets calls in flight finish for up to `timeoutMs`
   * (default 10 000 ms), then cancels what is left. Resolves when the server is stopped.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Creates a gRPC server for protobuf-es services, with grpc.health.v1.Health and server reflection.
 *
 * ```ts
 * const server = createGrpcServer({
 *   services: [{ service: TriageService, implementation: { classify: async (req) => ({ pAi: 0.1 }) } }],
 * });
 * const port = await server.bind("0.0.0.0:50051");
 * ```
 */
export function createGrpcServer<const T extends readonly GenServiceMethods[]>(
  options: GrpcServerOptions<T>,
): GrpcServer {
  const registrations = options.services as readonly ServiceRegistration[];
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const server = new grpc.Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": options.keepalive?.timeMs ?? 30_000,
    "grpc.keepalive_timeout_ms": options.keepalive?.timeoutMs ?? 10_000,
  });
  for (const registration of registrations) {
    server.addService(
      serviceDefinition(registration.service),
      adaptImplementation(registration, options.onHandlerError),
    );
  }
  const health = new HealthStatus(
    registrations.map((r) => r.service.typeName),
    options.serving ?? true,
  );
  health.addToServer(server);
  addReflection(
    server,
    registrations.map((r) => r.service),
  );

  return {
    server,
    bind: (address, credentials) => bindServer(server, address, credentials),
    setServing: (service, serving) => health.set(service, serving),
    isServing: (service) => health.isServing(service),
    async shutdown(timeoutMs = 10_000) {
      health.set("", false);
      await shutdownServer(server, timeoutMs);
    },
  };
}

/** Binds `server` to `address` (port 0 picks a free port) and resolves to the bound port. */
export function bindServer(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) {
        reject(
          new MirageError("UNAVAILABLE", `cannot bind gRPC server to ${address}: ${error.message}`, {
            reason: "bind-failed",
            cause: error,
            details: { address },
          }),
        );
      } else {
        resolve(port);
      }
    });
  });
}

/**
 * Graceful stop: `tryShutdown` lets calls in flight finish; after `timeoutMs` `forceShutdown`
 * cancels the rest, so a stuck handler cannot hold a rolling deploy.
 */
export function shutdownServer(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      // tryShutdown only reports an error when the server was never started: stopped either way.
      clearTimeout(timer);
      resolve();
    });
  });
}
