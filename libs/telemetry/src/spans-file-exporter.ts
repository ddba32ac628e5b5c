import { closeSync, mkdirSync, openSync, write } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { AttributeValue } from "@opentelemetry/api";
import { ExportResultCode, hrTimeToMicroseconds, hrTimeToTimeStamp } from "@opentelemetry/core";
import type { ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { MirageError } from "@mirage/errors";

/** One finished span as a line of a `MIRAGE_SPANS_FILE` (JSON lines, one object per span). */
export interface SpanRecord {
  /** 32 hex characters, shared by every span of one event's trace. */
  readonly traceId: string;
  /** 16 hex characters. */
  readonly spanId: string;
  /** The parent span's id (possibly in another service), or null for a root span. */
  readonly parentSpanId: string | null;
  readonly name: string;
  /** The `service.name` resource attribute of the process that recorded the span. */
  readonly "service.name": string;
  readonly kind: "INTERNAL" | "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
  /** ISO 8601 with nanosecond digits. */
  readonly startTime: string;
  /** ISO 8601 with nanosecond digits. */
  readonly endTime: string;
  readonly durationMs: number;
  readonly status: { readonly code: "UNSET" | "OK" | "ERROR"; readonly message?: string };
  readonly attributes: Record<string, AttributeValue | undefined>;
  /** Span events, recorded exceptions among them (name "exception"). */
  readonly events: ReadonlyArray<{
    readonly name: string;
    readonly time: string;
    readonly attributes: Record<string, AttributeValue | undefined>;
  }>;
  /** Links to other spans (a batch span linking the messages it handled, for example). */
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
}

interface PendingExport {
  readonly text: string;
  readonly done: (result: ExportResult) => void;
}

/**
 * A SpanExporter that appends one JSON line per finished span to a file, for tests and local
 * debugging. Several processes may append to the same file: it is opened with O_APPEND and every
 * write() carries whole lines only, so lines from different processes never interleave.
 * Spans exported in the same tick are coalesced into one write to keep syscalls few.
 */
export class SpansFileExporter implements SpanExporter {
  /** The file spans are appended to. */
  readonly path: string;
  #fd: number | undefined;
  #queue: PendingExport[] = [];
  #drainScheduled = false;
  // Writes happen one after another, so the lines of one process keep their order in the file.
  #tail: Promise<void> = Promise.resolve();

  /** Opens (creating it and its folder if needed) `path` for appending; throws if that fails. */
  constructor(path: string) {
    this.path = path;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.#fd = openSync(path, "a");
    } catch (error) {
      throw new MirageError("FAILED_PRECONDITION", `cannot open MIRAGE_SPANS_FILE ${path} for appending`, {
        reason: "spans-file-unwritable",
        cause: error,
        details: { path },
      });
    }
  }

  /** Queues the spans as JSON lines; `resultCallback` reports when they are on disk (or why not). */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.#fd === undefined) {
      resultCallback({
        code: ExportResultCode.FAILED,
        error: new MirageError("FAILED_PRECONDITION", `spans file exporter for ${this.path} is shut down`, {
          reason: "exporter-shut-down",
        }),
      });
      return;
    }
    const text = spans.map((span) => `${JSON.stringify(toSpanRecord(span))}\n`).join("");
    this.#queue.push({ text, done: resultCallback });
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  /** Resolves when every span exported so far has been written. */
  forceFlush(): Promise<void> {
    this.#drain();
    return this.#tail;
  }

  /** Writes what is queued, then closes the file. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  #drain(): void {
    this.#drainScheduled = false;
    const batch = this.#queue.splice(0);
    const fd = this.#fd;
    if (batch.length === 0 || fd === undefined) return;
    this.#tail = this.#tail.then(() => writeBatch(fd, batch));
  }
}

/** Writes a batch with one write() and reports the outcome to every export in it; never rejects. */
async function writeBatch(fd: number, batch: PendingExport[]): Promise<void> {
  const buffer = Buffer.from(batch.map((pending) => pending.text).join(""), "utf8");
  let result: ExportResult;
  try {
    await writeAll(fd, buffer);
    result = { code: ExportResultCode.SUCCESS };
  } catch (error) {
    // The SDK hands a failed result to its global error handler, which logs it.
    result = { code: ExportResultCode.FAILED, error: MirageError.from(error, "spans-file-write-failed") };
  }
  for (const pending of batch) pending.done(result);
}

/** write() until the whole buffer is on disk (a short write is possible, though rare on files). */
async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    offset += await new Promise<number>((resolve, reject) => {
      // position null: with O_APPEND the kernel appends at the current end of the file.
      write(fd, buffer, offset, buffer.length - offset, null, (error, written) =>
        error ? reject(error) : resolve(written),
      );
    });
  }
}

const kindNames: Record<SpanKind, SpanRecord["kind"]> = {
  [SpanKind.INTERNAL]: "INTERNAL",
  [SpanKind.SERVER]: "SERVER",
  [SpanKind.CLIENT]: "CLIENT",
  [SpanKind.PRODUCER]: "PRODUCER",
  [SpanKind.CONSUMER]: "CONSUMER",
};

const statusNames: Record<SpanStatusCode, SpanRecord["status"]["code"]> = {
  [SpanStatusCode.UNSET]: "UNSET",
  [SpanStatusCode.OK]: "OK",
  [SpanStatusCode.ERROR]: "ERROR",
};

/** The JSON-lines form of a finished span. */
export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const serviceName = span.resource.attributes["service.name"];
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    "service.name": typeof serviceName === "string" ? serviceName : "unknown_service",
    kind: kindNames[span.kind],
    startTime: hrTimeToTimeStamp(span.startTime),
    endTime: hrTimeToTimeStamp(span.endTime),
    durationMs: Math.round(hrTimeToMicroseconds(span.duration)) / 1000,
    status:
      span.status.message === undefined
        ? { code: statusNames[span.status.code] }
        : { code: statusNames[span.status.code], message: span.status.message },
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      time: hrTimeToTimeStamp(event.time),
      attributes: { ...event.attributes },
    })),
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
  };
}

/**
 * Reads a `MIRAGE_SPANS_FILE` back (tests and debugging). Throws a MirageError naming the line when
 * one is not a span record; an incomplete last line (a writer killed mid-write) is skipped.
 */
export async function readSpansFile(path: string): Promise<SpanRecord[]> {
  const text = await readFile(path, "utf8");
  const lines = text.split("\n");
  // Only a line followed by "\n" is complete: everything after the last newline is still being written.
  const complete = lines.slice(0, -1);
  return complete.flatMap((line, index) => {
    if (line.trim() === "") return [];
    try {
      const record: unknown = JSON.parse(line);
      if (!isSpanRecord(record)) throw new Error("not a span record");
      return [record];
    } catch (error) {
      throw new MirageError("INVALID_ARGUMENT", `${path}:${index + 1} is not a span record`, {
        reason: "invalid-spans-file",
        cause: error,
        details: { path, line: index + 1 },
      });
    }
  });
}

function isSpanRecord(value: unknown): value is SpanRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.traceId === "string" &&
    typeof record.spanId === "string" &&
    (record.parentSpanId === null || typeof record.parentSpanId === "string") &&
    typeof record.name === "string" &&
    typeof record["service.name"] === "string"
  );
}
