#!/usr/bin/env node
import { runService } from "@mirage/telemetry";

// The service's modules load inside start, after telemetry, so every span of the service is recorded.
await runService("triage", async () => {
  const { readTriageConfig } = await import("./config.js");
  const { startTriageServer } = await import("./server.js");
  return startTriageServer(readTriageConfig());
});
