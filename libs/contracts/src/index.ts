/**
 * The contracts of Mirage Mesh: protobuf messages generated from proto/mirage/v1 and the pinned
 * verdict JSON.
 *
 * ```ts
 * import { create } from "@bufbuild/protobuf";
 * import { VerdictSchema, Label, DecidedBy, verdictToJson } from "@mirage/contracts";
 * const json = verdictToJson(create(VerdictSchema, { label: Label.NEEDS_REVIEW, decidedBy: DecidedBy.TRIAGE }));
 * ```
 */
export {
  Band,
  DecidedBy,
  Label,
  ReasoningMode,
  ReasoningStage,
  EvidenceSchema,
  ReasoningSchema,
  ReasoningStepSchema,
  ModelVersionsSchema,
  TimingsSchema,
  VerdictSchema,
  file_mirage_v1_verdict,
} from "./gen/mirage/v1/verdict_pb.js";
export type {
  Evidence,
  Reasoning,
  ReasoningStep,
  ModelVersions,
  Timings,
  Verdict,
} from "./gen/mirage/v1/verdict_pb.js";
export { Policy, UploadEventSchema, file_mirage_v1_upload } from "./gen/mirage/v1/upload_pb.js";
export type { UploadEvent } from "./gen/mirage/v1/upload_pb.js";
export { AnalysisMode, file_mirage_v1_analysis_mode } from "./gen/mirage/v1/analysis_mode_pb.js";
export {
  TriageService,
  ClassifyRequestSchema,
  ClassifyResponseSchema,
  TriageTimingsSchema,
  file_mirage_v1_triage,
} from "./gen/mirage/v1/triage_pb.js";
export type { ClassifyRequest, ClassifyResponse, TriageTimings } from "./gen/mirage/v1/triage_pb.js";
export {
  ReasoningService,
  AnalyzeRequestSchema,
  AnalyzeResponseSchema,
  AnalyzeStreamRequestSchema,
  AnalyzeStreamResponseSchema,
  file_mirage_v1_reasoning,
} from "./gen/mirage/v1/reasoning_pb.js";
export type {
  AnalyzeRequest,
  AnalyzeResponse,
  AnalyzeStreamRequest,
  AnalyzeStreamResponse,
} from "./gen/mirage/v1/reasoning_pb.js";
export { evidenceJsonSchema, verdictFromJson, verdictJsonSchema, verdictToJson } from "./verdict-json.js";
export type { VerdictJson } from "./verdict-json.js";
