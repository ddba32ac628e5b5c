/**
 * protobuf-es services over @grpc/grpc-js: servers with health and reflection, typed clients with
 * deadlines, safe retries and trace context, errors as MirageError on both sides.
 *
 * ```ts
 * import { TriageService } from "@mirage/contracts";
 * import { createGrpcClient, createGrpcServer } from "@mirage/grpc";
 *
 * const server = createGrpcServer({
 *   services: [{ service: TriageService, implementation: { classify: async (req) => ({ pAi: req.content.length > 0 ? 0.5 : 0 }) } }],
 * });
 * const port = await server.bind("127.0.0.1:0");
 * const triage = createGrpcClient(TriageService, `127.0.0.1:${port}`, { deadlineMs: 2000 });
 * const { pAi } = await triage.call("classify", { content: new Uint8Array([1]) });
 * triage.close();
 * await server.shutdown(1000);
 * ```
 */
export { createGrpcServer, bindServer, shutdownServer, defaultMaxMessageBytes } from "./server.js";
export type { GrpcServer, GrpcServerOptions, ServerKeepaliveOptions } from "./server.js";
export { implement } from "./handlers.js";
export type {
  HandlerContext,
  HandlerErrorListener,
  ServerStreamingHandler,
  ServiceImplementation,
  ServiceRegistration,
  UnaryHandler,
} from "./handlers.js";
export { createGrpcClient } from "./client.js";
export type { CallOptions, ClientKeepaliveOptions, GrpcClient, GrpcClientOptions } from "./client.js";
export { retryServiceConfig } from "./retry-policy.js";
export type { RetryOptions } from "./retry-policy.js";
export { serviceDefinition, methodPath } from "./service-definition.js";
export { checkHealth, healthServiceName } from "./health.js";
export type { CheckHealthOptions, ServingStatus } from "./health.js";
export { reflectionPackageDefinition } from "./reflection.js";
export {
  errorCodeOf,
  errorDetailsKey,
  errorReasonKey,
  fromServiceError,
  grpcStatusOf,
  toServiceError,
} from "./status.js";
export type { CallSite } from "./status.js";
export {
  extractTraceContext,
  injectTraceContext,
  metadataGetter,
  metadataSetter,
  tracerName,
} from "./trace-context.js";
