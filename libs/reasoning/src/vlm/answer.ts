import { z } from "zod";
import { vlmFailure } from "./failure.js";
import { looksLikeRefusal } from "./refusal.js";

/** The prose sections of an answer, in the order the prompt asks for them. */
export const proseSections = ["heuristic", "analytic", "reflection"] as const;

/** One of {@link proseSections}. */
export type ProseSection = (typeof proseSections)[number];

const sections = [...proseSections, "conclusion"] as const;
type Section = (typeof sections)[number];

/** The JSON inside `<conclusion>`: the VLM's judgement. */
export const vlmConclusionSchema = z.strictObject({
  label: z.enum(["ai", "real", "uncertain"]),
  confidence: z.number().min(0).max(1),
  explanation: z.string().trim().min(1).max(1000),
  decisive_evidence: z.array(z.string().trim().min(1).max(300)).max(8),
});

/** The VLM's judgement, validated. */
export type VlmConclusion = z.infer<typeof vlmConclusionSchema>;

/** Bounds of an answer. */
export interface AnswerLimits {
  /** Longest answer, characters (the whole text, tags included). */
  maxAnswerChars: number;
  /** Longest prose section, characters. */
  maxSectionChars: number;
}

/** Incremental strict parser of a tagged answer. */
export interface AnswerParser {
  /** The next piece of the answer's text; calls `onSection` for each prose section it closes. */
  push(text: string): void;
  /** The answer is complete: returns the validated conclusion, or throws why the answer is unusable. */
  end(): VlmConclusion;
  /** Whether `</conclusion>` has been read (the answer is complete but for trailing whitespace). */
  readonly complete: boolean;
}

// How much of an answer that does not open with <heuristic> is read before judging it: enough
// for a refusal's first sentences, little enough not to wait for a whole essay.
const OFF_SCRIPT_LOOK_CHARS = 600;

/**
 * Creates the parser of `<heuristic>…</heuristic><analytic>…</analytic><reflection>…</reflection>
 * <conclusion>{json}</conclusion>`: each tag exactly once, in that order, nothing but whitespace
 * around and between them, bounded lengths, the conclusion validated by {@link vlmConclusionSchema}.
 * Sections are handed on the moment their closing tag arrives, so that steps stream; a fault is
 * thrown as soon as it is visible (vlm-malformed-answer, vlm-answer-too-long, vlm-refused).
 */
export function createAnswerParser(
  limits: AnswerLimits,
  onSection: (section: ProseSection, text: string) => void,
): AnswerParser {
  let buffer = "";
  let pos = 0;
  let index = 0; // the section expected next
  let inside = false; // its opening tag has been read
  let offScript = false; // the answer does not open with <heuristic>
  let conclusion: string | null = null;

  function malformed(message: string): never {
    throw vlmFailure("vlm-malformed-answer", `malformed VLM answer: ${message}`);
  }

  function unexpected(at: number): string {
    const seen = buffer.slice(at, at + 40).trim();
    return seen === "" ? "nothing" : JSON.stringify(seen);
  }

  function offScriptFailure(): never {
    const text = buffer.trim();
    if (text === "") malformed("the answer is empty");
    if (looksLikeRefusal(text)) {
      throw vlmFailure("vlm-refused", `the VLM declined: ${JSON.stringify(text.slice(0, 160))}`);
    }
    malformed(`it does not open with <heuristic> but with ${unexpected(0)}`);
  }

  // Advances through what the buffer holds; returns when it needs more text.
  function advance(): void {
    for (;;) {
      if (conclusion !== null) {
        if (buffer.slice(pos).trim() !== "") malformed(`text after </conclusion>: ${unexpected(pos)}`);
        pos = buffer.length;
        return;
      }
      const name: Section = sections[index]!;
      if (!inside) {
        const open = `<${name}>`;
        let at = pos;
        while (at < buffer.length && /\s/.test(buffer[at]!)) at++;
        const rest = buffer.slice(at, at + open.length);
        if (rest.length < open.length && open.startsWith(rest)) return;
        if (rest !== open) {
          if (index === 0) {
            offScript = true;
            if (buffer.length >= OFF_SCRIPT_LOOK_CHARS) offScriptFailure();
            return;
          }
          malformed(`expected <${name}> after </${sections[index - 1]}> but found ${unexpected(at)}`);
        }
        pos = at + open.length;
        inside = true;
        continue;
      }
      const close = `</${name}>`;
      const end = buffer.indexOf(close, pos);
      const body = buffer.slice(pos, end === -1 ? undefined : end);
      // Another section's tag inside this one: a tag repeated, one missing, or out of order.
      for (const other of sections) {
        for (const tag of [`<${other}>`, `</${other}>`]) {
          if (tag !== close && body.includes(tag)) malformed(`${tag} inside <${name}>`);
        }
      }
      const limit = name === "conclusion" ? 4000 : limits.maxSectionChars;
      if (body.length > limit + (end === -1 ? close.length : 0)) {
        throw vlmFailure("vlm-answer-too-long", `the <${name}> section is over ${limit} characters`);
      }
      if (end === -1) return;
      pos = end + close.length;
      inside = false;
      if (name === "conclusion") conclusion = body;
      else {
        const text = body.trim();
        if (text === "") malformed(`the <${name}> section is empty`);
        onSection(name, text);
        index++;
      }
    }
  }

  return {
    get complete() {
      return conclusion !== null;
    },
    push(text) {
      buffer += text;
      if (buffer.length > limits.maxAnswerChars) {
        if (offScript) offScriptFailure();
        throw vlmFailure("vlm-answer-too-long", `the answer is over ${limits.maxAnswerChars} characters`);
      }
      if (offScript) {
        if (buffer.length >= OFF_SCRIPT_LOOK_CHARS) offScriptFailure();
        return;
      }
      advance();
    },
    end() {
      if (offScript || buffer.trim() === "") offScriptFailure();
      advance();
      if (conclusion === null) {
        const name = sections[index]!;
        malformed(`the answer ended before ${inside ? `</${name}>` : `<${name}>`}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(conclusion);
      } catch (cause) {
        throw vlmFailure(
          "vlm-malformed-answer",
          `malformed VLM answer: the conclusion is not JSON: ${JSON.stringify(conclusion.trim().slice(0, 80))}`,
          { cause },
        );
      }
      const parsed = vlmConclusionSchema.safeParse(json);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
        malformed(`the conclusion does not fit the schema (${problems.join("; ")})`);
      }
      return parsed.data;
    },
  };
}
