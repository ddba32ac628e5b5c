/**
 * A local server that speaks the OpenAI chat completions wire protocol (as vLLM, SGLang,
 * llama.cpp and Ollama do), scripted per test: a good answer in many SSE chunks, malformed or
 * refused answers, slow or hanging ones, HTTP errors. It validates every request it receives —
 * model, messages with a JPEG `image_url` part, `stream: true`, `max_tokens` — so tests check what
 * the VLM backend sends. Real HTTP on 127.0.0.1, a free port.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { z } from "zod";

/** What the server answers to the next chat completions requests. */
export type VlmReply =
  /** `text` as SSE chunks of `chunkChars` characters, `delayMs` apart, then the finish chunk and [DONE]. */
  | {
      kind: "stream";
      text: string;
      chunkChars?: number;
      delayMs?: number;
      /** The last chunk's finish_reason (default "stop"); null sends no finish chunk. */
      finishReason?: string | null;
      /** Send `data: [DONE]` (default true). */
      done?: boolean;
    }
  /** Raw `data:` payloads, as given (malformed chunks, error events, refusals). */
  | { kind: "events"; events: string[] }
  /** The whole completion as one JSON body, as a server that ignores `stream: true` does. */
  | { kind: "json"; text: string; finishReason?: string }
  /** An HTTP error status with a JSON error body. */
  | { kind: "status"; status: number; message?: string }
  /** Reads the request and never answers (not even headers). */
  | { kind: "hang" };

/** One request the server received, with what was wrong with it (nothing, for a good client). */
export interface ReceivedRequest {
  body: unknown;
  /** The Authorization header as sent. */
  authorization: string | undefined;
  /** Why the request does not fit the protocol; non-empty → the server answered 400. */
  problems: string[];
  /** The image the request carried, as decoded by the server. */
  image: { format: string; width: number; height: number; bytes: number } | null;
  /** The text parts of the user message, joined. */
  userText: string;
  systemText: string;
}

/** A running test server. */
export interface VlmTestServer {
  /** The API's base URL: `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  /** The only model the server serves. */
  readonly model: string;
  /** Every chat completions request, in order. */
  readonly requests: readonly ReceivedRequest[];
  /** Responses not yet finished or given up by the client: 0 once every call is over. */
  readonly inFlight: number;
  /** What the next requests get (until changed). */
  reply(next: VlmReply): void;
  close(): Promise<void>;
}

const contentPartSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({
    type: z.literal("image_url"),
    image_url: z.object({ url: z.string(), detail: z.string().optional() }),
  }),
]);
const requestSchema = z.object({
  model: z.string(),
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant"]),
        content: z.union([z.string(), z.array(contentPartSchema)]),
      }),
    )
    .min(1),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
});

/** Starts the server; `model` is the name it serves. Default reply: {@link taggedAnswer} streamed. */
export async function startVlmTestServer(model = "test-vlm"): Promise<VlmTestServer> {
  const requests: ReceivedRequest[] = [];
  let next: VlmReply = { kind: "stream", text: taggedAnswer() };
  let inFlight = 0;
  let counter = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET" && req.url === "/v1/models") {
      json(res, 200, { object: "list", data: [{ id: model, object: "model", owned_by: "mirage-test" }] });
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      json(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: "not_found" } });
      return;
    }
    inFlight++;
    res.once("close", () => inFlight--);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const received = await validate(req, Buffer.concat(chunks).toString("utf8"), model);
    requests.push(received);
    if (received.problems.length > 0) {
      json(res, 400, { error: { message: received.problems.join("; "), type: "invalid_request_error" } });
      return;
    }
    const reply = next;
    const id = `chatcmpl-${++counter}`;
    switch (reply.kind) {
      case "hang":
        return; // the client's timeout or abort closes the socket
      case "status":
        json(res, reply.status, {
          error: { message: reply.message ?? "internal error", type: "server_error" },
        });
        return;
      case "json":
        json(res, 200, {
          id,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply.text },
              finish_reason: reply.finishReason ?? "stop",
            },
          ],
        });
        return;
      case "events":
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        for (const event of reply.events) res.write(`data: ${event}\n\n`);
        res.end();
        return;
      case "stream": {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        const chunk = (delta: object, finishReason: string | null) =>
          `data: ${JSON.stringify({
            id,
            object: "chat.completion.chunk",
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [{ index: 0, delta, finish_reason: finishReason }],
          })}\n\n`;
        res.write(chunk({ role: "assistant", content: "" }, null));
        const size = reply.chunkChars ?? 7;
        for (let i = 0; i < reply.text.length; i += size) {
          if (reply.delayMs) await sleep(reply.delayMs);
          if (res.destroyed) return;
          res.write(chunk({ content: reply.text.slice(i, i + size) }, null));
        }
        const finishReason = reply.finishReason === undefined ? "stop" : reply.finishReason;
        if (finishReason !== null) res.write(chunk({}, finishReason));
        if (reply.done ?? true) res.write("data: [DONE]\n\n");
        res.end();
        return;
      }
    }
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    model,
    requests,
    get inFlight() {
      return inFlight;
    },
    reply(reply) {
      next = reply;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The answer the prompt asks for; each part may be replaced (a string conclusion is sent as is). */
export function taggedAnswer(
  parts: {
    heuristic?: string;
    analytic?: string;
    reflection?: string;
    conclusion?: Record<string, unknown> | string;
  } = {},
): string {
  const conclusion = parts.conclusion ?? {
    label: "ai",
    confidence: 0.8,
    explanation: "The skin is waxy and the background text is garbled.",
    decisive_evidence: ["garbled signage", "waxy skin"],
  };
  return [
    `<heuristic>${parts.heuristic ?? "At a glance the image looks polished, like a render."}</heuristic>`,
    `<analytic>${parts.analytic ?? "The hands are plausible, but the signage in the background is illegible and the bokeh is uniform."}</analytic>`,
    `<reflection>${parts.reflection ?? "Compression could blur text, yet not into letter-like shapes; the forensic findings lean the same way."}</reflection>`,
    `<conclusion>${typeof conclusion === "string" ? conclusion : JSON.stringify(conclusion)}</conclusion>`,
  ].join("\n");
}

async function validate(req: IncomingMessage, raw: string, model: string): Promise<ReceivedRequest> {
  const received: ReceivedRequest = {
    body: null,
    authorization: req.headers.authorization,
    problems: [],
    image: null,
    userText: "",
    systemText: "",
  };
  const problems = received.problems;
  if (!(req.headers["content-type"] ?? "").includes("application/json"))
    problems.push("content-type is not JSON");
  try {
    received.body = JSON.parse(raw);
  } catch {
    problems.push("the body is not JSON");
    return received;
  }
  const parsed = requestSchema.safeParse(received.body);
  if (!parsed.success) {
    problems.push(`not a chat completions request: ${parsed.error.message}`);
    return received;
  }
  const body = parsed.data;
  if (body.model !== model)
    problems.push(`model ${JSON.stringify(body.model)} is not served (only ${model})`);
  if (body.stream !== true) problems.push("stream is not true");
  if (body.max_tokens === undefined) problems.push("max_tokens is not set");
  const system = body.messages.find((m) => m.role === "system");
  if (!system || typeof system.content !== "string") problems.push("no system message with text");
  else received.systemText = system.content;
  const user = body.messages.find((m) => m.role === "user");
  if (!user || typeof user.content === "string") {
    problems.push("no user message with content parts");
    return received;
  }
  received.userText = user.content.flatMap((p) => (p.type === "text" ? [p.text] : [])).join("\n");
  const images = user.content.flatMap((p) => (p.type === "image_url" ? [p.image_url.url] : []));
  if (images.length !== 1) {
    problems.push(`${images.length} image_url parts, expected 1`);
    return received;
  }
  const match = /^data:image\/jpeg;base64,([A-Za-z0-9+/]+=*)$/.exec(images[0]!);
  if (!match) {
    problems.push("the image_url is not a data:image/jpeg;base64 URL");
    return received;
  }
  const bytes = Buffer.from(match[1]!, "base64");
  try {
    const meta = await sharp(bytes).metadata();
    received.image = {
      format: meta.format,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      bytes: bytes.length,
    };
    if (meta.format !== "jpeg") problems.push(`the image is ${meta.format}, not JPEG`);
  } catch {
    problems.push("the image does not decode");
  }
  return received;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
