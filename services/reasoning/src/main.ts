#!/usr/bin/env node
import { runService } from "@mirage/telemetry";

// The service's modules load inside start, after telemetry, so every span of the service is recorded.
await runService("reasoning", async () => {
  const { readReasoningConfig } = await import("./config.js");
  const { startReasoningServer } = await import("./server.js");
  return startReasoningServer(readReasoningConfig());
});
