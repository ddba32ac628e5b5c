import { describe, expect, it } from "vitest";
import { readLogLevel, readSloThresholds, readTracingConfig } from "./index.js";

describe("readTracingConfig", () => {
  it("is off by default and treats blank variables as unset", () => {
    expect(readTracingConfig({})).toEqual({ otlpTracesUrl: undefined, spansFile: undefined });
    expect(readTracingConfig({ MIRAGE_SPANS_FILE: " ", OTEL_EXPORTER_OTLP_ENDPOINT: "" })).toEqual({
      otlpTracesUrl: undefined,
      spansFile: undefined,
    });
  });

  it("appends /v1/traces to the base endpoint but takes the traces endpoint as is", () => {
    expect(readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).otlpTracesUrl).toBe(
      "http://collector:4318/v1/traces",
    );
    expect(
      readTracingConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://other:4318/custom",
      }).otlpTracesUrl,
    ).toBe("http://other:4318/custom");
  });

  it("names a variable that is not a URL", () => {
    expect(() => readTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318 please" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});

describe("readSloThresholds", () => {
  it("defaults to the SLOs of DESIGN.md", () => {
    expect(readSloThresholds({})).toEqual({ fastSeconds: 0.5, escalatedSeconds: 15 });
  });

  it("reads both thresholds and refuses nonsense", () => {
    expect(readSloThresholds({ MIRAGE_SLO_FAST_SECONDS: "0.3", MIRAGE_SLO_ESCALATED_SECONDS: "20" })).toEqual(
      {
        fastSeconds: 0.3,
        escalatedSeconds: 20,
      },
    );
    expect(() => readSloThresholds({ MIRAGE_SLO_FAST_SECONDS: "0" })).toThrow(/MIRAGE_SLO_FAST_SECONDS/);
    expect(() => readSloThresholds({ MIRAGE_SLO_ESCALATED_SECONDS: "soon" })).toThrow(
      /MIRAGE_SLO_ESCALATED_SECONDS/,
    );
    expect(() =>
      readSloThresholds({ MIRAGE_SLO_FAST_SECONDS: "20", MIRAGE_SLO_ESCALATED_SECONDS: "15" }),
    ).toThrow(expect.objectContaining({ reason: "invalid-config" }));
  });
});

describe("readLogLevel", () => {
  it("defaults to info", () => {
    expect(readLogLevel({})).toBe("info");
    expect(readLogLevel({ LOG_LEVEL: "trace" })).toBe("trace");
  });
});
