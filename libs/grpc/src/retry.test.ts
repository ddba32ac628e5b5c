import { TriageService } from "@mirage/contracts";
import { MirageError } from "@mirage/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcClient, createGrpcServer, retryServiceConfig, type GrpcServer } from "./index.js";

describe("retries", () => {
  let server: GrpcServer;
  let address = "";
  // Attempts seen by the server, per eventId; the eventId's prefix says how the handler fails.
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    server = createGrpcServer({
      services: [
        {
          service: TriageService,
          implementation: {
            classify: async (req) => {
              const attempt = (attempts.get(req.eventId) ?? 0) + 1;
              attempts.set(req.eventId, attempt);
              const [failure, failures] = req.eventId.split(":");
              if (attempt <= Number(failures ?? 0)) {
                const code = failure === "invalid" ? "INVALID_ARGUMENT" : "UNAVAILABLE";
                throw new MirageError(code, `attempt ${attempt} refused`, {
                  reason: `test-${code.toLowerCase()}`,
                });
              }
              return { pAi: req.content.length / 1e9, modelVersion: `attempt-${attempt}` };
            },
          },
        },
      ],
    });
    address = `127.0.0.1:${await server.bind("127.0.0.1:0")}`;
  });

  afterAll(async () => {
    await server.shutdown(1000);
  });

  const client = () =>
    createGrpcClient(TriageService, address, { retry: { initialBackoffMs: 20, maxBackoffMs: 50 } });

  it("retries UNAVAILABLE and succeeds on the next attempt", async () => {
    const triage = client();
    try {
      const response = await triage.call("classify", { eventId: "unavailable:1" });
      expect(response.modelVersion).toBe("attempt-2");
      expect(attempts.get("unavailable:1")).toBe(2);
    } finally {
      triage.close();
    }
  });

  it("gives up after 3 attempts with the server's UNAVAILABLE", async () => {
    const triage = client();
    try {
      const error = await triage.call("classify", { eventId: "unavailable:99" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UNAVAILABLE", reason: "test-unavailable" });
      expect(attempts.get("unavailable:99")).toBe(3);
    } finally {
      triage.close();
    }
  });

  it("never retries INVALID_ARGUMENT", async () => {
    const triage = client();
    try {
      const error = await triage.call("classify", { eventId: "invalid:1" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "INVALID_ARGUMENT", reason: "test-invalid_argument" });
      expect(attempts.get("invalid:1")).toBe(1);
    } finally {
      triage.close();
    }
  });

  it("retries a 20 MB request too (the retry buffer holds a whole message)", async () => {
    const triage = client();
    try {
      const content = new Uint8Array(20 * 1024 * 1024).fill(3);
      const response = await triage.call(
        "classify",
        { eventId: "unavailable-big:1", content },
        { deadlineMs: 20_000 },
      );
      expect(response.modelVersion).toBe("attempt-2");
      expect(response.pAi).toBeCloseTo(content.length / 1e9, 12);
    } finally {
      triage.close();
    }
  });

  it("makes one attempt when retries are off", async () => {
    const triage = createGrpcClient(TriageService, address, { retry: { maxAttempts: 1 } });
    try {
      await expect(triage.call("classify", { eventId: "unavailable-off:1" })).rejects.toMatchObject({
        code: "UNAVAILABLE",
      });
      expect(attempts.get("unavailable-off:1")).toBe(1);
    } finally {
      triage.close();
    }
  });

  it("writes a service config that retries UNAVAILABLE only, and checks its bounds", () => {
    expect(JSON.parse(retryServiceConfig(TriageService) ?? "")).toEqual({
      methodConfig: [
        {
          name: [{ service: "mirage.v1.TriageService" }],
          retryPolicy: {
            maxAttempts: 3,
            initialBackoff: "0.100s",
            maxBackoff: "1.000s",
            backoffMultiplier: 2,
            retryableStatusCodes: ["UNAVAILABLE"],
          },
        },
      ],
    });
    expect(retryServiceConfig(TriageService, { maxAttempts: 1 })).toBeUndefined();
    expect(() => retryServiceConfig(TriageService, { maxAttempts: 6 })).toThrow(/1\.\.5/);
    expect(() => retryServiceConfig(TriageService, { initialBackoffMs: 500, maxBackoffMs: 100 })).toThrow(
      MirageError,
    );
  });
});
