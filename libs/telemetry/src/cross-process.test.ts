import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSpansFile, startTelemetry, withSpan } from "./index.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const fixture = join(packageDir, "src", "span-child.fixture.ts");

/** Runs span-child.fixture.ts as its own process (a second service) and returns its trace id. */
async function runChild(env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--conditions=@mirage/source", "--import", "tsx", fixture],
    { cwd: packageDir, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
  );
  return (JSON.parse(stdout) as { traceId: string }).traceId;
}

describe("spans across processes", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirage-telemetry-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("continues the trace in another service process that appends to the same file", async () => {
    const file = join(dir, "spans.jsonl");
    const telemetry = startTelemetry({ serviceName: "gateway", env: { MIRAGE_SPANS_FILE: file } });
    const tracer = trace.getTracer("test");
    const carrier: Record<string, string> = {};
    const ids = await withSpan(tracer, "classify", { kind: SpanKind.CLIENT }, async (call) => {
      propagation.inject(context.active(), carrier);
      const childTraceId = await runChild({
        MIRAGE_SPANS_FILE: file,
        MIRAGE_TEST_SERVICE: "triage",
        MIRAGE_TEST_STEPS: "2",
        MIRAGE_TEST_CARRIER: JSON.stringify(carrier),
      });
      return { traceId: call.spanContext().traceId, call: call.spanContext().spanId, childTraceId };
    });
    await telemetry.shutdown();

    expect(ids.childTraceId).toBe(ids.traceId);
    const spans = await readSpansFile(file);
    expect(spans.map((span) => `${span["service.name"]}/${span.name}`).sort()).toEqual([
      "gateway/classify",
      "triage/handle",
      "triage/step",
      "triage/step",
    ]);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([ids.traceId]));
    const handle = spans.find((span) => span.name === "handle");
    expect(handle).toMatchObject({ kind: "SERVER", parentSpanId: ids.call });
    for (const step of spans.filter((span) => span.name === "step")) {
      expect(step.parentSpanId).toBe(handle?.spanId);
    }
  });

  it("keeps every line whole when several processes append to one file at once", async () => {
    const file = join(dir, "spans.jsonl");
    const processes = 3;
    const steps = 400;
    const traceIds = await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        runChild({
          MIRAGE_SPANS_FILE: file,
          MIRAGE_TEST_SERVICE: `svc-${i}`,
          MIRAGE_TEST_STEPS: String(steps),
        }),
      ),
    );
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(processes * (steps + 1));
    const spans = await readSpansFile(file);
    for (const [i, traceId] of traceIds.entries()) {
      const mine = spans.filter((span) => span["service.name"] === `svc-${i}`);
      expect(mine).toHaveLength(steps + 1);
      expect(new Set(mine.map((span) => span.traceId))).toEqual(new Set([traceId]));
      // One process writes in order: its steps appear as 0, 1, 2, … and the parent span last.
      expect(mine.slice(0, steps).map((span) => span.attributes.step)).toEqual([...Array(steps).keys()]);
      expect(mine.at(-1)?.name).toBe("handle");
    }
    expect(new Set(traceIds).size).toBe(processes);
  });
});
