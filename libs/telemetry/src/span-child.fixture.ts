/**
 * A second "service" for the tests, run as its own process: it continues the trace whose context
 * arrives as a W3C carrier in MIRAGE_TEST_CARRIER (or starts one), records a SERVER span with
 * MIRAGE_TEST_STEPS child spans, appends them to MIRAGE_SPANS_FILE and prints its trace id.
 */
import { propagation, ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import { currentTraceId, startTelemetry, withSpan } from "@mirage/telemetry";

const serviceName = process.env.MIRAGE_TEST_SERVICE ?? "child";
const steps = Number(process.env.MIRAGE_TEST_STEPS ?? "1");
const carrier = JSON.parse(process.env.MIRAGE_TEST_CARRIER ?? "{}") as Record<string, string>;

const telemetry = startTelemetry({ serviceName });
const tracer = trace.getTracer(serviceName);
const parent = propagation.extract(ROOT_CONTEXT, carrier);

const traceId = await withSpan(tracer, "handle", { kind: SpanKind.SERVER, parent }, async () => {
  for (let i = 0; i < steps; i++) {
    await withSpan(tracer, "step", { attributes: { step: i } }, () => undefined);
  }
  return currentTraceId();
});
await telemetry.shutdown();
process.stdout.write(`${JSON.stringify({ traceId })}\n`);
