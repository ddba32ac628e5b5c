import { z } from "zod";
import { vlmFailure } from "./failure.js";
import { createSseDecoder } from "./sse.js";

/** One message of an OpenAI chat completions request. */
export interface ChatMessage {
  role: "system" | "user";
  content: string | Array<{ type: "text"; text: string } | { type: "image_url"; image_url: { url: string } }>;
}

/** The request body this backend sends (OpenAI chat completions, as vLLM, SGLang, llama.cpp, Ollama take it). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: true;
  max_tokens: number;
  temperature: number;
}

/** One call: where, how, and when to give up. */
export interface ChatCall {
  /** The full chat completions URL. */
  url: string;
  /** Sent as `Authorization: Bearer …`; never logged, never put in an error. */
  apiKey?: string;
  body: ChatRequest;
  /** Aborts the call: the request, or the body being read (the socket is closed). */
  signal: AbortSignal;
  /** Most bytes of response body read (SSE framing included); more is vlm-answer-too-long. */
  maxBodyBytes: number;
}

/** How the answer's text ended. */
export interface ChatEnd {
  /** The last finish_reason the server gave ("stop", "length", "content_filter"…), or null. */
  finishReason: string | null;
  /** True when the server said the answer is over ([DONE], a finish_reason, or a whole JSON answer). */
  finished: boolean;
}

const choiceSchema = z.looseObject({
  delta: z.looseObject({ content: z.string().nullish(), refusal: z.string().nullish() }).nullish(),
  message: z.looseObject({ content: z.string().nullish(), refusal: z.string().nullish() }).nullish(),
  finish_reason: z.string().nullish(),
});
const errorSchema = z.looseObject({ message: z.string().optional() }).or(z.string());
// A streamed chunk, or a whole (non-streamed) completion: only the fields read here, others pass.
const completionSchema = z.looseObject({
  choices: z.array(choiceSchema).optional(),
  error: errorSchema.optional(),
});

/**
 * Sends one chat completions request and hands each piece of the answer's text to `onText` as it
 * arrives: from a `text/event-stream` body (`data: {chunk}` events, then `data: [DONE]`), or from a
 * whole JSON completion when the server ignored `stream: true`. Failures are MirageErrors with a
 * VLM reason (vlm-unavailable, vlm-http-error, vlm-malformed-answer, vlm-refused,
 * vlm-answer-too-long); an abort of `signal` rejects with the signal's reason, for the caller to
 * name. `onText` may throw to stop reading (the body is then cancelled).
 */
export async function streamChatCompletion(call: ChatCall, onText: (text: string) => void): Promise<ChatEnd> {
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream, application/json",
        ...(call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {}),
      },
      body: JSON.stringify(call.body),
      signal: call.signal,
    });
  } catch (cause) {
    if (call.signal.aborted) throw call.signal.reason;
    throw vlmFailure("vlm-unavailable", `cannot reach the VLM at ${safeUrl(call.url)}: ${describe(cause)}`, {
      cause,
    });
  }
  const body = response.body;
  try {
    if (!response.ok) {
      const text = body ? await readBounded(body, 2048, call.signal) : "";
      throw vlmFailure(
        "vlm-http-error",
        `the VLM answered HTTP ${response.status}${text ? `: ${JSON.stringify(text.trim().slice(0, 300))}` : ""}`,
        { details: { status: response.status } },
      );
    }
    if (!body) throw vlmFailure("vlm-malformed-answer", "the VLM answered with no body");
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("text/event-stream")) return await readEvents(body, call, onText);
    if (type.includes("json")) {
      const text = await readBounded(body, call.maxBodyBytes, call.signal, true);
      return readWhole(parseJson(text, "the completion"), onText);
    }
    throw vlmFailure("vlm-malformed-answer", `the VLM answered with content-type ${JSON.stringify(type)}`);
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason;
    throw error;
  } finally {
    // Whatever is left of the body is not wanted: cancelling it closes the connection rather than
    // leaving the server streaming into a socket nobody reads.
    if (body && !body.locked) await body.cancel().catch(() => undefined);
  }
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  call: ChatCall,
  onText: (text: string) => void,
): Promise<ChatEnd> {
  const decoder = new TextDecoder();
  const sse = createSseDecoder();
  let bytes = 0;
  let finishReason: string | null = null;
  const handle = (data: string): boolean => {
    if (data.trim() === "[DONE]") return true;
    const chunk = parseJson(data, "a stream event");
    if (chunk.error !== undefined) throw serverError(chunk.error);
    for (const choice of chunk.choices ?? []) {
      const refusal = choice.delta?.refusal;
      if (refusal)
        throw vlmFailure("vlm-refused", `the VLM refused: ${JSON.stringify(refusal.slice(0, 160))}`);
      const content = choice.delta?.content;
      if (content) onText(content);
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    return false;
  };
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const events = done ? sse.push(decoder.decode()).concat(sse.end()) : pushBytes(value);
      for (const data of events) if (handle(data)) return { finishReason, finished: true };
      if (done) return { finishReason, finished: finishReason !== null };
    }
  } finally {
    // Cancelling through the reader: the stream stays locked to it, so the caller's cancel is skipped.
    await reader.cancel().catch(() => undefined);
  }

  function pushBytes(value: Uint8Array): string[] {
    bytes += value.byteLength;
    if (bytes > call.maxBodyBytes) {
      throw vlmFailure("vlm-answer-too-long", `the VLM's stream is over ${call.maxBodyBytes} bytes`);
    }
    return sse.push(decoder.decode(value, { stream: true }));
  }
}

function readWhole(completion: z.infer<typeof completionSchema>, onText: (text: string) => void): ChatEnd {
  if (completion.error !== undefined) throw serverError(completion.error);
  const choice = completion.choices?.[0];
  if (!choice) throw vlmFailure("vlm-malformed-answer", "the VLM's completion has no choices");
  const refusal = choice.message?.refusal;
  if (refusal) throw vlmFailure("vlm-refused", `the VLM refused: ${JSON.stringify(refusal.slice(0, 160))}`);
  const content = choice.message?.content ?? choice.delta?.content ?? "";
  if (content) onText(content);
  return { finishReason: choice.finish_reason ?? null, finished: true };
}

function parseJson(text: string, what: string): z.infer<typeof completionSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw vlmFailure(
      "vlm-malformed-answer",
      `${what} from the VLM is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      {
        cause,
      },
    );
  }
  const parsed = completionSchema.safeParse(json);
  if (!parsed.success) {
    throw vlmFailure(
      "vlm-malformed-answer",
      `${what} from the VLM is not a chat completion: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

function serverError(error: z.infer<typeof errorSchema>): Error {
  const message = typeof error === "string" ? error : (error.message ?? "no message");
  return vlmFailure("vlm-http-error", `the VLM reported an error: ${JSON.stringify(message.slice(0, 300))}`);
}

// Reads at most `limit` bytes; beyond that either stops (an error body: its start is enough) or fails.
async function readBounded(
  body: ReadableStream<Uint8Array>,
  limit: number,
  signal: AbortSignal,
  failBeyond = false,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limit) {
        if (failBeyond)
          throw vlmFailure("vlm-answer-too-long", `the VLM's completion is over ${limit} bytes`);
        text += decoder.decode(value.subarray(0, value.byteLength - (bytes - limit)));
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

// The URL without credentials or query (a key is sometimes put there): errors may be logged.
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = cause && "code" in cause ? String(cause.code) : undefined;
  return code ? `${error.message} (${code})` : cause ? `${error.message} (${cause.message})` : error.message;
}
