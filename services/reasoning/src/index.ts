/**
 * The reasoning service: mirage.v1.ReasoningService/Analyze and /AnalyzeStream over gRPC (the
 * reflective examination of escalated images). Run `node services/reasoning/dist/main.js`.
 */
export { startReasoningServer } from "./server.js";
export type { ReasoningServer } from "./server.js";
export { readReasoningConfig, reasoningConfigSchema } from "./config.js";
export type { ReasoningConfig } from "./config.js";
