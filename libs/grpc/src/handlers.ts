import {
  create,
  type DescMessage,
  type DescMethod,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type * as grpc from "@grpc/grpc-js";
import { MirageError } from "@mirage/errors";
import { SpanKind, SpanStatusCode, context, trace, type Span } from "@opentelemetry/api";
import { methodPath } from "./service-definition.js";
import { grpcStatusOf, toServiceError } from "./status.js";
import { extractTraceContext, grpcTracer } from "./trace-context.js";

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  /** The gRPC path, "/mirage.v1.TriageService/Classify". */
  readonly method: string;
  /** The metadata the client sent. */
  readonly metadata: grpc.Metadata;
  /** Aborted when the client cancels or the call's deadline passes: stop work that nobody awaits. */
  readonly signal: AbortSignal;
  /** The client's deadline, or undefined when it set none. */
  readonly deadline: Date | undefined;
  /** The client's address. */
  readonly peer: string;
}

/** A unary handler: the decoded request in, the response (a message or its init shape) out. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => Promise<MessageInitShape<O>>;

/** A server-streaming handler: every value it yields is sent as one response message, in order. */
export type ServerStreamingHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  ctx: HandlerContext,
) => AsyncIterable<MessageInitShape<O>>;

/** The handlers of a service, keyed by method `localName` ("classify", "analyzeStream"). */
export type ServiceImplementation<S extends GenServiceMethods> = {
  [K in keyof S]: S[K]["methodKind"] extends "unary"
    ? UnaryHandler<S[K]["input"], S[K]["output"]>
    : S[K]["methodKind"] extends "server_streaming"
      ? ServerStreamingHandler<S[K]["input"], S[K]["output"]>
      : never;
};

/** One service a server serves: its generated descriptor and its handlers. */
export interface ServiceRegistration<S extends GenServiceMethods = GenServiceMethods> {
  /** The `GenService` exported by a generated `*_pb.ts` (e.g. `TriageService`). */
  readonly service: GenService<S>;
  /** The handlers, keyed by method `localName`. */
  readonly implementation: ServiceImplementation<S>;
}

/**
 * Pairs a service with its handlers, type-checked against the service (the `services` array of
 * createGrpcServer cannot infer a different service type per element on its own).
 */
export function implement<S extends GenServiceMethods>(
  service: GenService<S>,
  implementation: ServiceImplementation<S>,
): ServiceRegistration {
  return { service, implementation } as unknown as ServiceRegistration;
}

/** Called with every error a handler ends with (after mapping), e.g. to log it. */
export type HandlerErrorListener = (error: MirageError, method: string) => void;

// OpenTelemetry's rpc conventions: a server span is an error only for codes that mean the server
// failed, not for a caller's bad request.
const serverFaultCodes = new Set(["DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE"]);

function startServerSpan(
  method: DescMethod,
  metadata: grpc.Metadata,
): { span: Span; run: <T>(fn: () => T) => T } {
  const parent = extractTraceContext(metadata);
  const span = grpcTracer().startSpan(
    `${method.parent.typeName}/${method.name}`,
    {
      kind: SpanKind.SERVER,
      attributes: { "rpc.system": "grpc", "rpc.service": method.parent.typeName, "rpc.method": method.name },
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  return { span, run: (fn) => context.with(active, fn) };
}

function endSpan(span: Span, error: MirageError | undefined): void {
  if (error === undefined) {
    span.setAttribute("rpc.grpc.status_code", 0);
  } else {
    span.setAttribute("rpc.grpc.status_code", grpcStatusOf(error.code));
    span.setAttribute("mirage.error.reason", error.reason);
    if (serverFaultCodes.has(error.code)) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
  }
  span.end();
}

function handlerContext(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  method: DescMethod,
): HandlerContext {
  const abort = new AbortController();
  call.once("cancelled", () =>
    abort.abort(new MirageError("UNAVAILABLE", "the call was cancelled", { reason: "call-cancelled" })),
  );
  const deadline = call.getDeadline();
  const deadlineDate =
    deadline instanceof Date ? deadline : Number.isFinite(deadline) ? new Date(deadline) : undefined;
  return {
    method: methodPath(method),
    metadata: call.metadata,
    signal: abort.signal,
    deadline: deadlineDate,
    peer: call.getPeer(),
  };
}

function unaryAdapter(
  method: DescMethod,
  handler: UnaryHandler<DescMessage, DescMessage>,
  onError: HandlerErrorListener | undefined,
): grpc.handleUnaryCall<MessageShape<DescMessage>, MessageShape<DescMessage>> {
  return (call, callback) => {
    const ctx = handlerContext(call, method);
    const { span, run } = startServerSpan(method, call.metadata);
    run(async () => create(method.output, await handler(call.request, ctx))).then(
      (response) => {
        endSpan(span, undefined);
        callback(null, response);
      },
      (error: unknown) => {
        const mirage = MirageError.from(error);
        endSpan(span, mirage);
        onError?.(mirage, ctx.method);
        callback(toServiceError(mirage));
      },
    );
  };
}

// Resolves when the stream can take more, or the call is gone (cancelled, deadline).
function writable(call: grpc.ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off("drain", done);
      call.off("cancelled", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
  });
}

function serverStreamingAdapter(
  method: DescMethod,
  handler: ServerStreamingHandler<DescMessage, DescMessage>,
  onError: HandlerErrorListener | undefined,
): grpc.handleServerStreamingCall<MessageShape<DescMessage>, MessageShape<DescMessage>> {
  return (call) => {
    const ctx = handlerContext(call, method);
    const { span, run } = startServerSpan(method, call.metadata);
    run(async () => {
      for await (const item of handler(call.request, ctx)) {
        // Leaving the loop runs the generator's `finally`, so the handler can release its work.
        if (call.cancelled) break;
        if (!call.write(create(method.output, item))) await writable(call);
      }
    }).then(
      () => {
        endSpan(span, undefined);
        if (!call.cancelled) call.end();
      },
      (error: unknown) => {
        const mirage = MirageError.from(error);
        endSpan(span, mirage);
        onError?.(mirage, ctx.method);
        // grpc-js turns an 'error' event on a server stream into the call's final status.
        call.emit("error", toServiceError(mirage));
      },
    );
  };
}

/** The grpc-js implementation object for a registration: every handler traced and error-mapped. */
export function adaptImplementation(
  registration: ServiceRegistration,
  onError?: HandlerErrorListener,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  const handlers = registration.implementation as Record<string, unknown>;
  for (const method of registration.service.methods) {
    const handler = handlers[method.localName];
    if (typeof handler !== "function") {
      throw new TypeError(`${registration.service.typeName}: no handler for ${method.localName}`);
    }
    if (method.methodKind === "unary") {
      implementation[method.localName] = unaryAdapter(
        method,
        handler as UnaryHandler<DescMessage, DescMessage>,
        onError,
      );
    } else if (method.methodKind === "server_streaming") {
      implementation[method.localName] = serverStreamingAdapter(
        method,
        handler as ServerStreamingHandler<DescMessage, DescMessage>,
        onError,
      );
    } else {
      throw new TypeError(
        `${registration.service.typeName}.${method.name}: ${method.methodKind} methods are not supported`,
      );
    }
  }
  return implementation;
}
