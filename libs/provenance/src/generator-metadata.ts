import type { TextEntry } from "./internal/container-metadata.js";
import type { ExifFacts } from "./internal/exif-facts.js";
import { matchGenerativeTool } from "./internal/generative-tools.js";
import { parseInfotext } from "./internal/infotext.js";
import type { XmpFacts } from "./internal/xmp-facts.js";
import type { ProvenanceEvidence } from "./types.js";

/** Everything the generator rules look at. */
export interface GeneratorMetadataInput {
  texts: readonly TextEntry[];
  exif: ExifFacts;
  xmp: XmpFacts;
}

/** One generator found, before it becomes evidence. */
interface GeneratorFinding {
  tool: string;
  /** Where, for people: 'PNG text chunk "parameters"'. */
  where: string;
  model?: string;
  sampler?: string;
  steps?: string;
}

const sourceNames: Record<TextEntry["source"], string> = {
  "png-tEXt": "PNG text chunk",
  "png-zTXt": "PNG compressed text chunk",
  "png-iTXt": "PNG international text chunk",
  "jpeg-COM": "JPEG comment",
};

/**
 * Finds the metadata that generation tools write: AUTOMATIC1111/Forge/Fooocus infotext, ComfyUI
 * prompt/workflow JSON, InvokeAI, NovelAI, SwarmUI, Easy Diffusion and Midjourney text, and a
 * generator named as EXIF Software or XMP CreatorTool. Each tool yields one decisive evidence.
 * `problems` receives what could not be parsed (a truncated workflow JSON, say).
 */
export function findGeneratorMetadata(
  input: GeneratorMetadataInput,
  problems: string[],
): ProvenanceEvidence[] {
  const findings: GeneratorFinding[] = [];
  const byKey = new Map<string, TextEntry>();
  for (const entry of input.texts) if (!byKey.has(entry.key)) byKey.set(entry.key, entry);
  const where = (entry: TextEntry): string => `${sourceNames[entry.source]} "${entry.key}"`;

  const comfy = comfyFinding(byKey, where, problems);
  if (comfy !== undefined) findings.push(comfy);

  for (const key of ["invokeai_metadata", "sd-metadata", "invokeai_graph", "Dream"]) {
    const entry = byKey.get(key);
    if (entry === undefined) continue;
    const json = key === "Dream" ? undefined : parseJsonObject(entry.value, where(entry), problems);
    if (key !== "Dream" && json === undefined) continue;
    if (key === "Dream" && !/-[sS]\s*\d+|-C\s*[\d.]+|-A\s*\w+/.test(entry.value.slice(0, 4096))) continue;
    const model =
      json === undefined
        ? undefined
        : (stringAt(json, ["model", "model_name"]) ??
          stringAt(json, ["model", "name"]) ??
          stringAt(json, ["model_weights"]));
    const sampler =
      json === undefined
        ? undefined
        : (stringAt(json, ["scheduler"]) ?? stringAt(json, ["image", "sampler"]));
    findings.push({ tool: "InvokeAI", where: where(entry), ...defined({ model, sampler }) });
    break;
  }

  const parameters = byKey.get("parameters");
  if (parameters !== undefined) {
    const finding = parametersFinding(parameters, byKey, where, problems);
    if (finding !== undefined) findings.push(finding);
  }
  const fooocusScheme = byKey.get("fooocus_scheme");
  if (fooocusScheme !== undefined && !findings.some((finding) => finding.tool === "Fooocus")) {
    findings.push({ tool: "Fooocus", where: where(fooocusScheme) });
  }

  const software = byKey.get("Software");
  if (software !== undefined && /NovelAI/i.test(software.value)) {
    const comment = byKey.get("Comment");
    const json = comment === undefined ? undefined : parseJsonObject(comment.value, where(comment), problems);
    const source = byKey.get("Source")?.value;
    findings.push({
      tool: "NovelAI",
      where: where(software),
      ...defined({
        model: source,
        sampler: json === undefined ? undefined : stringAt(json, ["sampler"]),
        steps: json === undefined ? undefined : stringAt(json, ["steps"]),
      }),
    });
  }

  const easy = byKey.get("use_stable_diffusion_model");
  if (easy !== undefined) {
    findings.push({
      tool: "Easy Diffusion",
      where: where(easy),
      ...defined({ model: easy.value || undefined, sampler: byKey.get("sampler_name")?.value }),
    });
  }

  for (const entry of input.texts) {
    // Midjourney writes the prompt, its flags and the job id into a "Description" text.
    if (
      /Job ID: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.test(
        entry.value.slice(0, 65536),
      )
    ) {
      findings.push({ tool: "Midjourney", where: where(entry) });
      break;
    }
  }

  // Infotext anywhere else: other text keys, JPEG comments, EXIF UserComment or ImageDescription, XMP.
  const infotextSources: [string, string | undefined][] = [
    ...input.texts
      .filter((entry) => entry.key !== "parameters")
      .map((entry): [string, string] => [where(entry), entry.value]),
    ["EXIF UserComment", input.exif.userComment],
    ["EXIF ImageDescription", input.exif.imageDescription],
    ["XMP exif:UserComment", input.xmp.userComment],
    ["XMP dc:description", input.xmp.description],
  ];
  for (const [place, text] of infotextSources) {
    if (text === undefined) continue;
    const info = parseInfotext(text);
    if (info === undefined) continue;
    findings.push({ tool: info.tool, where: place, ...infotextDetails(info.parameters) });
    break;
  }

  // A generator named as the writing software.
  const named: [string, string | undefined][] = [
    ["EXIF Software", input.exif.software],
    ["XMP CreatorTool", input.xmp.creatorTool],
    ["XMP tiff:Software", input.xmp.software],
    ...input.texts
      .filter((entry) => /^(Software|Generator|Creator)$/i.test(entry.key))
      .map((entry): [string, string] => [where(entry), entry.value]),
  ];
  for (const [place, name] of named) {
    if (name === undefined) continue;
    const tool = matchGenerativeTool(name.slice(0, 512));
    if (tool !== undefined) findings.push({ tool, where: `${place} "${name.slice(0, 120)}"` });
  }

  return dedupe(findings).map(toEvidence);
}

function comfyFinding(
  byKey: Map<string, TextEntry>,
  where: (entry: TextEntry) => string,
  problems: string[],
): GeneratorFinding | undefined {
  const prompt = byKey.get("prompt");
  const workflow = byKey.get("workflow");
  let model: string | undefined;
  let isComfy = false;
  const places: string[] = [];
  if (prompt !== undefined && prompt.value.trimStart().startsWith("{")) {
    const json = parseJsonObject(prompt.value, where(prompt), problems);
    if (json !== undefined) {
      const nodes = Object.values(json).filter(isRecord);
      if (nodes.some((node) => typeof node.class_type === "string")) {
        isComfy = true;
        places.push(`"${prompt.key}"`);
        model = comfyModelFromPrompt(nodes);
      }
    }
  }
  if (workflow !== undefined && workflow.value.trimStart().startsWith("{")) {
    const json = parseJsonObject(workflow.value, where(workflow), problems);
    if (json !== undefined && Array.isArray(json.nodes)) {
      isComfy = true;
      places.push(`"${workflow.key}"`);
      model ??= comfyModelFromWorkflow(json.nodes);
    }
  }
  if (!isComfy) return undefined;
  const entry = prompt ?? workflow!;
  const kind = sourceNames[entry.source];
  return {
    tool: "ComfyUI",
    where: `${kind}${places.length > 1 ? "s" : ""} ${places.join(" and ")}`,
    ...defined({ model }),
  };
}

const loaderTypes = /Checkpoint|UNETLoader|UnetLoader|DiffusersLoader|ModelLoader|GGUF/i;
const modelInputs = ["ckpt_name", "unet_name", "model_name", "model_path", "model"];

function comfyModelFromPrompt(nodes: Record<string, unknown>[]): string | undefined {
  for (const node of nodes) {
    if (typeof node.class_type !== "string" || !loaderTypes.test(node.class_type) || !isRecord(node.inputs))
      continue;
    for (const key of modelInputs) {
      const value = node.inputs[key];
      if (typeof value === "string" && value !== "") return value;
    }
  }
  return undefined;
}

function comfyModelFromWorkflow(nodes: unknown[]): string | undefined {
  for (const node of nodes) {
    if (!isRecord(node) || typeof node.type !== "string" || !loaderTypes.test(node.type)) continue;
    const widgets = node.widgets_values;
    if (Array.isArray(widgets) && typeof widgets[0] === "string" && widgets[0] !== "") return widgets[0];
  }
  return undefined;
}

function parametersFinding(
  entry: TextEntry,
  byKey: Map<string, TextEntry>,
  where: (entry: TextEntry) => string,
  problems: string[],
): GeneratorFinding | undefined {
  const text = entry.value;
  if (text.trimStart().startsWith("{")) {
    const json = parseJsonObject(text, where(entry), problems);
    if (json === undefined) return undefined;
    if (isRecord(json.sui_image_params)) {
      return {
        tool: "SwarmUI",
        where: where(entry),
        ...defined({
          model: stringAt(json, ["sui_image_params", "model"]),
          sampler: stringAt(json, ["sui_image_params", "sampler"]),
          steps: stringAt(json, ["sui_image_params", "steps"]),
        }),
      };
    }
    if (
      "Base Model" in json ||
      "base_model" in json ||
      byKey.has("fooocus_scheme") ||
      /fooocus/i.test(String(json.version ?? json.Version ?? ""))
    ) {
      return {
        tool: "Fooocus",
        where: where(entry),
        ...defined({
          model: stringAt(json, ["Base Model"]) ?? stringAt(json, ["base_model"]),
          sampler: stringAt(json, ["Sampler"]) ?? stringAt(json, ["sampler"]),
          steps: stringAt(json, ["Steps"]) ?? stringAt(json, ["steps"]),
        }),
      };
    }
    return undefined;
  }
  const info = parseInfotext(text);
  if (info === undefined) return undefined;
  return { tool: info.tool, where: where(entry), ...infotextDetails(info.parameters) };
}

function infotextDetails(
  parameters: Record<string, string>,
): Pick<GeneratorFinding, "model" | "sampler" | "steps"> {
  return defined({
    model:
      parameters.Model ??
      (parameters["Model hash"] === undefined ? undefined : `hash ${parameters["Model hash"]}`),
    sampler: parameters.Sampler,
    steps: parameters.Steps,
  });
}

/** One finding per tool: the first (most specific) wins, later ones only fill in blanks. */
function dedupe(findings: GeneratorFinding[]): GeneratorFinding[] {
  const byTool = new Map<string, GeneratorFinding>();
  for (const finding of findings) {
    const seen = byTool.get(finding.tool);
    if (seen === undefined) byTool.set(finding.tool, { ...finding });
    else {
      seen.model ??= finding.model;
      seen.sampler ??= finding.sampler;
      seen.steps ??= finding.steps;
    }
  }
  return [...byTool.values()];
}

function toEvidence(finding: GeneratorFinding): ProvenanceEvidence {
  const parts: string[] = [];
  if (finding.model !== undefined)
    parts.push(finding.tool === "ComfyUI" ? `checkpoint ${finding.model}` : `model ${finding.model}`);
  if (finding.sampler !== undefined) parts.push(`sampler ${finding.sampler}`);
  if (finding.steps !== undefined) parts.push(`${finding.steps} steps`);
  const what = finding.tool === "ComfyUI" ? "ComfyUI workflow" : `${finding.tool} generation metadata`;
  const summary = `${what} in ${finding.where}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}.`;
  const details: Record<string, string> = { generator: finding.tool, location: finding.where };
  if (finding.model !== undefined) details.model = finding.model;
  if (finding.sampler !== undefined) details.sampler = finding.sampler;
  if (finding.steps !== undefined) details.steps = finding.steps;
  return {
    kind: "generator-metadata",
    summary: clip(summary),
    weight: 1,
    decisive: true,
    details: clipValues(details),
  };
}

function parseJsonObject(
  text: string,
  place: string,
  problems: string[],
): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value) && !Array.isArray(value)) return value;
    return undefined;
  } catch (error) {
    problems.push(
      `${place} looks like JSON but does not parse (${error instanceof Error ? error.message : String(error)})`,
    );
    return undefined;
  }
}

/** A string (or number) at a path of object keys. */
function stringAt(value: unknown, path: readonly string[]): string | undefined {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  if (typeof current === "string" && current.trim() !== "") return current.trim();
  if (typeof current === "number" && Number.isFinite(current)) return String(current);
  return undefined;
}

function defined<T extends Record<string, string | undefined>>(fields: T): { [K in keyof T]?: string } {
  const out: { [K in keyof T]?: string } = {};
  for (const [key, value] of Object.entries(fields) as [keyof T, string | undefined][]) {
    if (value !== undefined && value !== "") out[key] = clip(value, 200);
  }
  return out;
}

function clip(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function clipValues(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, clip(value, 200)]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
