#!/usr/bin/env node
import { runService } from "@mirage/telemetry";

// The service's modules load inside start, after telemetry, so every span of the service is recorded.
await runService("gateway", async () => {
  const { readGatewayConfig } = await import("./config.js");
  const { startGateway } = await import("./server.js");
  return startGateway(readGatewayConfig());
});
