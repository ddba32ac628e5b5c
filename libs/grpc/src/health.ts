import * as grpc from "@grpc/grpc-js";
import { MirageError } from "@mirage/errors";
import { HealthImplementation, service as healthService, type ServingStatus } from "grpc-health-check";
import { fromServiceError } from "./status.js";

export type { ServingStatus } from "grpc-health-check";

/** The full name of the health service every server serves. */
export const healthServiceName = "grpc.health.v1.Health";

/**
 * grpc.health.v1 for one server: a status per service and the overall status "" (which is SERVING
 * exactly when every service is).
 */
export class HealthStatus {
  readonly #health: HealthImplementation;
  readonly #serving = new Map<string, boolean>();

  /** Starts with every service in `services` SERVING or NOT_SERVING. */
  constructor(services: readonly string[], serving: boolean) {
    this.#health = new HealthImplementation();
    for (const name of services) this.#serving.set(name, serving);
    this.#publish();
  }

  /**
   * Sets one service's status by full name ("mirage.v1.TriageService"), or every service's with "".
   * Watchers (Health/Watch) see the change at once.
   */
  set(service: string, serving: boolean): void {
    if (service === "") {
      for (const name of this.#serving.keys()) this.#serving.set(name, serving);
    } else if (this.#serving.has(service)) {
      this.#serving.set(service, serving);
    } else {
      throw new MirageError("INVALID_ARGUMENT", `the server does not serve ${service}`, {
        reason: "unknown-service",
        details: { service, served: [...this.#serving.keys()].join(",") },
      });
    }
    this.#publish();
  }

  /** True when `service` ("" for the whole server) is SERVING. */
  isServing(service: string): boolean {
    if (service === "") return [...this.#serving.values()].every(Boolean);
    return this.#serving.get(service) ?? false;
  }

  /** Registers grpc.health.v1.Health on `server`. */
  addToServer(server: grpc.Server): void {
    this.#health.addToServer(server);
  }

  #publish(): void {
    const status = (serving: boolean): ServingStatus => (serving ? "SERVING" : "NOT_SERVING");
    for (const [name, serving] of this.#serving) this.#health.setStatus(name, status(serving));
    this.#health.setStatus("", status(this.isServing("")));
  }
}

/** Options of {@link checkHealth}. */
export interface CheckHealthOptions {
  /** Deadline of the check. Default 1000 ms. */
  deadlineMs?: number;
  /** Channel credentials. Default insecure (plaintext inside the cluster). */
  credentials?: grpc.ChannelCredentials;
}

const checkMethod = healthService.Check;

/**
 * Asks `address` (host:port) for the health of `service` ("" for the whole server) with
 * grpc.health.v1.Health/Check: resolves to SERVING, NOT_SERVING or UNKNOWN; rejects with a
 * MirageError (NOT_FOUND for a service the server does not know, UNAVAILABLE when unreachable,
 * DEADLINE_EXCEEDED when slow).
 */
export async function checkHealth(
  address: string,
  service = "",
  options: CheckHealthOptions = {},
): Promise<ServingStatus> {
  if (checkMethod === undefined)
    throw new MirageError("INTERNAL", "grpc-health-check has no Check method", { reason: "health-proto" });
  const client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure());
  try {
    return await new Promise<ServingStatus>((resolve, reject) => {
      client.makeUnaryRequest(
        checkMethod.path,
        checkMethod.requestSerialize,
        checkMethod.responseDeserialize,
        { service },
        new grpc.Metadata(),
        { deadline: Date.now() + (options.deadlineMs ?? 1000) },
        (error, response) => {
          if (error) reject(fromServiceError(error, { method: checkMethod.path, address }));
          else
            resolve(
              ((response as { status?: ServingStatus } | undefined)?.status ?? "UNKNOWN") as ServingStatus,
            );
        },
      );
    });
  } finally {
    client.close();
  }
}
