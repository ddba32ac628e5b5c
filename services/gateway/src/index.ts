/**
 * The gateway: consumes mirage.uploads.v1, fetches image bytes (inline, file://, http(s)), asks
 * triage, escalates the uncertain to reasoning, and produces a verdict or a dead letter per event.
 * Run `node services/gateway/dist/main.js`; embed with {@link startGateway}.
 */
export { startGateway } from "./server.js";
export type { Gateway } from "./server.js";
export { gatewayConfigSchema, readGatewayConfig } from "./config.js";
export type { GatewayConfig } from "./config.js";
export { processUpload } from "./process-upload.js";
export type { Outcome, PipelineDeps } from "./process-upload.js";
export { parseUploadEvent, protobufContentType } from "./upload-event.js";
export type { UploadRequest } from "./upload-event.js";
