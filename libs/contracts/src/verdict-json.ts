import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import {
  Band,
  VerdictSchema,
  type DecidedBy,
  type Label,
  type ReasoningMode,
  type ReasoningStage,
  type Verdict,
} from "./gen/mirage/v1/verdict_pb.js";

/** Evidence as the pinned JSON contract spells it. */
export const evidenceJsonSchema = z.object({
  kind: z.string().min(1),
  summary: z.string().min(1),
  weight: z.number().min(-1).max(1),
  details: z.record(z.string(), z.string()).optional(),
});

const labelNames = ["AI_GENERATED", "REAL", "NEEDS_REVIEW"] as const;
const decidedByNames = ["PROVENANCE", "TRIAGE", "REASONING", "FALLBACK"] as const;
const bandNames = ["LIKELY_REAL", "UNCERTAIN", "LIKELY_AI"] as const;
const modeNames = ["QUICK", "DEEP"] as const;
const stageNames = ["HEURISTIC", "ANALYTIC", "REFLECTION", "CONCLUSION"] as const;

/**
 * The verdict JSON contract of DESIGN.md ("Verdict (JSON)"). Fields may be added, never renamed or
 * dropped; `path` replaces eventId/imageId on the command line.
 */
export const verdictJsonSchema = z.object({
  eventId: z.string().optional(),
  imageId: z.string().optional(),
  path: z.string().optional(),
  label: z.enum(labelNames),
  pAi: z.number().min(0).max(1),
  decidedBy: z.enum(decidedByNames),
  band: z.enum(bandNames).optional(),
  evidence: z.array(evidenceJsonSchema),
  reasoning: z
    .object({
      mode: z.enum(modeNames),
      steps: z.array(z.object({ stage: z.enum(stageNames), text: z.string() })),
    })
    .optional(),
  modelVersions: z.object({ triage: z.string(), reasoning: z.string() }),
  timings: z.object({ triageMs: z.number(), reasoningMs: z.number(), totalMs: z.number() }),
  traceId: z.string().regex(/^([0-9a-f]{32})?$/),
});

/** A verdict as the pinned JSON contract spells it. */
export type VerdictJson = z.infer<typeof verdictJsonSchema>;

function enumName<T extends string>(names: readonly T[], value: number, what: string): T {
  const name = names[value - 1];
  if (name === undefined) throw new RangeError(`${what} ${value} has no name in the JSON contract`);
  return name;
}

/** Renders a verdict message as the pinned JSON contract (enum names without their prefixes). */
export function verdictToJson(verdict: Verdict): VerdictJson {
  const json: VerdictJson = {
    eventId: verdict.eventId,
    imageId: verdict.imageId,
    label: enumName(labelNames, verdict.label, "Label"),
    pAi: round(verdict.pAi, 4),
    decidedBy: enumName(decidedByNames, verdict.decidedBy, "DecidedBy"),
    evidence: verdict.evidence.map((e) => ({
      kind: e.kind,
      summary: e.summary,
      weight: round(e.weight, 3),
      ...(Object.keys(e.details).length > 0 ? { details: { ...e.details } } : {}),
    })),
    modelVersions: {
      triage: verdict.modelVersions?.triage ?? "",
      reasoning: verdict.modelVersions?.reasoning ?? "",
    },
    timings: {
      triageMs: round(verdict.timings?.triageMs ?? 0, 1),
      reasoningMs: round(verdict.timings?.reasoningMs ?? 0, 1),
      totalMs: round(verdict.timings?.totalMs ?? 0, 1),
    },
    traceId: verdict.traceId,
  };
  if (verdict.band !== Band.UNSPECIFIED) json.band = enumName(bandNames, verdict.band, "Band");
  if (verdict.reasoning) {
    json.reasoning = {
      mode: enumName(modeNames, verdict.reasoning.mode, "ReasoningMode"),
      steps: verdict.reasoning.steps.map((s) => ({
        stage: enumName(stageNames, s.stage, "ReasoningStage"),
        text: s.text,
      })),
    };
  }
  return json;
}

/** Parses contract JSON (validated) back into a verdict message. */
export function verdictFromJson(input: unknown): Verdict {
  const json = verdictJsonSchema.parse(input);
  const index = <T extends string>(names: readonly T[], name: T): number => names.indexOf(name) + 1;
  return create(VerdictSchema, {
    eventId: json.eventId ?? "",
    imageId: json.imageId ?? "",
    label: index(labelNames, json.label) as Label,
    pAi: json.pAi,
    decidedBy: index(decidedByNames, json.decidedBy) as DecidedBy,
    band: (json.band ? index(bandNames, json.band) : 0) as Band,
    evidence: json.evidence.map((e) => ({ ...e, details: e.details ?? {} })),
    ...(json.reasoning
      ? {
          reasoning: {
            mode: index(modeNames, json.reasoning.mode) as ReasoningMode,
            steps: json.reasoning.steps.map((s) => ({
              stage: index(stageNames, s.stage) as ReasoningStage,
              text: s.text,
            })),
          },
        }
      : {}),
    modelVersions: json.modelVersions,
    timings: json.timings,
    traceId: json.traceId,
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
