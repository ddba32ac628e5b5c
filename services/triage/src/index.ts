/**
 * The triage service: mirage.v1.TriageService/Classify over gRPC (the shared detect(), micro-batched).
 * Run `node services/triage/dist/main.js`; embed with {@link startTriageServer}.
 */
export { startTriageServer } from "./server.js";
export type { TriageServer } from "./server.js";
export { readTriageConfig, triageConfigSchema } from "./config.js";
export type { TriageConfig } from "./config.js";
