import { type DescMethod, type MessageInitShape, type MessageShape, create } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import { MirageError } from "@mirage/errors";
import { SpanKind, SpanStatusCode, context, trace, type Span } from "@opentelemetry/api";
import { retryServiceConfig, type RetryOptions } from "./retry-policy.js";
import { defaultMaxMessageBytes } from "./server.js";
import { messageCodec, methodPath } from "./service-definition.js";
import { fromServiceError, grpcStatusOf } from "./status.js";
import { grpcTracer, injectTraceContext } from "./trace-context.js";

/** Client keepalive: pings that find a dead connection before a call has to. */
export interface ClientKeepaliveOptions {
  /** Ping after this long without activity. Default 30 000 ms. */
  timeMs?: number;
  /** Consider the connection dead when a ping is not answered within this. Default 10 000 ms. */
  timeoutMs?: number;
  /** Ping idle connections too, so the first call after a quiet spell does not hit a dead one. Default true. */
  permitWithoutCalls?: boolean;
}

/** Options of {@link createGrpcClient}. */
export interface GrpcClientOptions {
  /** Deadline of every call that sets none itself. Default 10 000 ms. There is no call without a deadline. */
  deadlineMs?: number;
  /** Retries of UNAVAILABLE (the only status retried). Default 3 attempts, 100 ms..1 s backoff. */
  retry?: RetryOptions;
  /** Keepalive pings. Default 30 s, 10 s timeout, also without calls. */
  keepalive?: ClientKeepaliveOptions;
  /** Largest message sent or received. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Channel credentials. Default insecure (plaintext inside the cluster). */
  credentials?: grpc.ChannelCredentials;
  /**
   * Longest wait between reconnection attempts once the server is gone. Default 5 000 ms, so that a
   * restarted server is found again within seconds (grpc-js alone backs off up to 120 s).
   */
  maxReconnectBackoffMs?: number;
}

/** Options of one call. */
export interface CallOptions {
  /** This call's deadline, overriding the client's. */
  deadlineMs?: number;
  /** Cancels the call; it then rejects with UNAVAILABLE, reason "call-cancelled". */
  signal?: AbortSignal;
  /** Extra metadata to send (trace context is added to it). */
  metadata?: grpc.Metadata;
}

type MethodsOfKind<S extends GenServiceMethods, Kind extends string> = {
  [K in keyof S]: S[K]["methodKind"] extends Kind ? K : never;
}[keyof S] &
  string;

/** A typed client of one service; methods are named by `localName` ("classify"). */
export interface GrpcClient<S extends GenServiceMethods> {
  /** Calls a unary method; rejects with a MirageError (mapped code, the server's reason). */
  call<K extends MethodsOfKind<S, "unary">>(
    method: K,
    request: MessageInitShape<S[K]["input"]>,
    options?: CallOptions,
  ): Promise<MessageShape<S[K]["output"]>>;
  /**
   * Calls a server-streaming method: the responses in order; iteration throws a MirageError when
   * the call fails. The deadline covers the whole stream; leaving the loop early cancels the call.
   */
  stream<K extends MethodsOfKind<S, "server_streaming">>(
    method: K,
    request: MessageInitShape<S[K]["input"]>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<S[K]["output"]>>;
  /** Resolves once the channel is connected, or rejects with UNAVAILABLE after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
}

function cancelledError(method: string, address: string, reason: unknown): MirageError {
  return new MirageError("UNAVAILABLE", `${method} at ${address}: cancelled by the caller`, {
    reason: "call-cancelled",
    cause: reason,
    details: { method, address },
  });
}

function startClientSpan(method: DescMethod, address: string): Span {
  return grpcTracer().startSpan(`${method.parent.typeName}/${method.name}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      "rpc.system": "grpc",
      "rpc.service": method.parent.typeName,
      "rpc.method": method.name,
      "server.address": address,
    },
  });
}

function endClientSpan(span: Span, error: MirageError | undefined): void {
  if (error === undefined) {
    span.setAttribute("rpc.grpc.status_code", 0);
  } else {
    span.setAttribute("rpc.grpc.status_code", grpcStatusOf(error.code));
    span.setAttribute("mirage.error.reason", error.reason);
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/**
 * Creates a typed gRPC client for a protobuf-es service: a deadline on every call, retries of
 * UNAVAILABLE only, keepalive, 64 MiB messages, trace context in the metadata, errors as MirageError.
 *
 * ```ts
 * const triage = createGrpcClient(TriageService, "127.0.0.1:50051", { deadlineMs: 2000 });
 * const result = await triage.call("classify", { eventId, imageId, content });
 * ```
 */
export function createGrpcClient<S extends GenServiceMethods>(
  service: GenService<S>,
  address: string,
  options: GrpcClientOptions = {},
): GrpcClient<S> {
  const defaultDeadlineMs = options.deadlineMs ?? 10_000;
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const serviceConfig = retryServiceConfig(service, options.retry);
  const channelOptions: grpc.ChannelOptions = {
    "grpc.max_send_message_length": maxMessageBytes,
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.keepalive_time_ms": options.keepalive?.timeMs ?? 30_000,
    "grpc.keepalive_timeout_ms": options.keepalive?.timeoutMs ?? 10_000,
    "grpc.keepalive_permit_without_calls": (options.keepalive?.permitWithoutCalls ?? true) ? 1 : 0,
    "grpc.initial_reconnect_backoff_ms": Math.min(1_000, options.maxReconnectBackoffMs ?? 5_000),
    "grpc.max_reconnect_backoff_ms": options.maxReconnectBackoffMs ?? 5_000,
    // grpc-js buffers a request for retries only up to 1 MB by default, so a large image would
    // silently lose its retries: buffer up to one message per call, four in flight per channel.
    "grpc.per_rpc_retry_buffer_size": maxMessageBytes,
    "grpc.retry_buffer_size": 4 * maxMessageBytes,
    ...(serviceConfig === undefined
      ? { "grpc.enable_retries": 0 }
      : { "grpc.service_config": serviceConfig }),
  };
  const client = new grpc.Client(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
    channelOptions,
  );

  const methodOf = (localName: string): DescMethod => {
    const method = (service.method as Record<string, DescMethod | undefined>)[localName];
    if (method === undefined) throw new TypeError(`${service.typeName} has no method ${localName}`);
    return method;
  };

  // Everything both call kinds share: the span, trace context in the metadata, the deadline.
  const prepare = (method: DescMethod, callOptions: CallOptions) => {
    const deadlineMs = callOptions.deadlineMs ?? defaultDeadlineMs;
    if (!(deadlineMs > 0)) {
      throw new MirageError("INVALID_ARGUMENT", `deadlineMs must be positive, got ${deadlineMs}`, {
        reason: "invalid-deadline",
      });
    }
    const span = startClientSpan(method, address);
    const metadata = callOptions.metadata?.clone() ?? new grpc.Metadata();
    injectTraceContext(metadata, trace.setSpan(context.active(), span));
    return { span, metadata, grpcOptions: { deadline: Date.now() + deadlineMs }, path: methodPath(method) };
  };

  return {
    call(localName, request, callOptions = {}) {
      let prepared: ReturnType<typeof prepare>;
      let method: DescMethod;
      try {
        method = methodOf(localName);
        prepared = prepare(method, callOptions);
      } catch (error) {
        // A bad argument rejects like any failed call, never throws synchronously.
        return Promise.reject(MirageError.from(error, "invalid-call"));
      }
      const input = messageCodec(method.input);
      const output = messageCodec(method.output);
      const { span, metadata, grpcOptions, path } = prepared;
      const signal = callOptions.signal;
      return new Promise((resolve, reject) => {
        const fail = (error: MirageError): void => {
          endClientSpan(span, error);
          reject(error);
        };
        if (signal?.aborted) {
          fail(cancelledError(path, address, signal.reason));
          return;
        }
        const call = client.makeUnaryRequest(
          path,
          input.serialize,
          output.deserialize,
          create(method.input, request),
          metadata,
          grpcOptions,
          (error, response) => {
            signal?.removeEventListener("abort", onAbort);
            if (error) {
              fail(
                signal?.aborted && error.code === grpc.status.CANCELLED
                  ? cancelledError(path, address, signal.reason)
                  : fromServiceError(error, { method: path, address }),
              );
            } else if (response === undefined) {
              fail(
                new MirageError("INTERNAL", `${path} at ${address}: no response message`, {
                  reason: "grpc-no-response",
                }),
              );
            } else {
              endClientSpan(span, undefined);
              resolve(response as MessageShape<S[typeof localName]["output"]>);
            }
          },
        );
        const onAbort = (): void => call.cancel();
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },

    stream(localName, request, callOptions = {}) {
      const method = methodOf(localName);
      const input = messageCodec(method.input);
      const output = messageCodec(method.output);
      return {
        async *[Symbol.asyncIterator]() {
          const { span, metadata, grpcOptions, path } = prepare(method, callOptions);
          const signal = callOptions.signal;
          if (signal?.aborted) {
            const error = cancelledError(path, address, signal.reason);
            endClientSpan(span, error);
            throw error;
          }
          const call = client.makeServerStreamRequest(
            path,
            input.serialize,
            output.deserialize,
            create(method.input, request),
            metadata,
            grpcOptions,
          );
          const onAbort = (): void => call.cancel();
          signal?.addEventListener("abort", onAbort, { once: true });
          let finished = false;
          try {
            for await (const message of call) {
              yield message as MessageShape<S[typeof localName]["output"]>;
            }
            finished = true;
            endClientSpan(span, undefined);
          } catch (caught) {
            finished = true;
            const error =
              signal?.aborted && isServiceError(caught) && caught.code === grpc.status.CANCELLED
                ? cancelledError(path, address, signal.reason)
                : isServiceError(caught)
                  ? fromServiceError(caught, { method: path, address })
                  : MirageError.from(caught, "grpc-stream-failed");
            endClientSpan(span, error);
            throw error;
          } finally {
            signal?.removeEventListener("abort", onAbort);
            if (!finished) {
              // The consumer left the loop early: stop the server's work and close the span.
              call.cancel();
              endClientSpan(span, undefined);
            }
          }
        },
      };
    },

    waitForReady(timeoutMs) {
      return new Promise((resolve, reject) => {
        client.waitForReady(Date.now() + timeoutMs, (error) => {
          if (error) {
            reject(
              new MirageError(
                "UNAVAILABLE",
                `${service.typeName} at ${address} not ready within ${timeoutMs} ms`,
                {
                  reason: "grpc-not-ready",
                  cause: error,
                  details: { address, timeoutMs },
                },
              ),
            );
          } else {
            resolve();
          }
        });
      });
    },

    close() {
      client.close();
    },
  };
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === "number";
}
