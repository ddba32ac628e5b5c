import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { create, createFileRegistry, fromBinary, toBinary, type DescFile } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import {
  AnalyzeStreamResponseSchema,
  Label,
  ReasoningService,
  ReasoningStage,
  TriageService,
} from "@mirage/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth, createGrpcServer, type GrpcServer } from "./index.js";

// A plain grpc-js reflection client, from the reflection proto that @grpc/reflection ships.
const require = createRequire(import.meta.url);
const reflectionProto = join(
  dirname(require.resolve("@grpc/reflection/package.json")),
  "build/proto/grpc/reflection/v1/reflection.proto",
);
const reflectionPackage = grpc.loadPackageDefinition(
  loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true }),
);
type ReflectionClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => grpc.Client & {
  ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse>;
};
interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}
const ServerReflection = (
  reflectionPackage as unknown as {
    grpc: { reflection: { v1: { ServerReflection: ReflectionClientConstructor } } };
  }
).grpc.reflection.v1.ServerReflection;

// One request on the reflection stream, one answer.
async function reflect(address: string, request: object): Promise<ReflectionResponse> {
  const client = new ServerReflection(address, grpc.credentials.createInsecure());
  try {
    const call = client.ServerReflectionInfo();
    const answer = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    call.write(request);
    call.end();
    const response = await answer;
    if (response.error_response) throw new Error(response.error_response.error_message);
    return response;
  } finally {
    client.close();
  }
}

function fileDescriptors(response: ReflectionResponse): FileDescriptorProto[] {
  return (response.file_descriptor_response?.file_descriptor_proto ?? []).map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes),
  );
}

// A FileDescriptorSet must list every file after the files it imports.
function dependenciesFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const ordered: FileDescriptorProto[] = [];
  const visit = (file: FileDescriptorProto | undefined): void => {
    if (file === undefined || ordered.includes(file)) return;
    file.dependency.forEach((name) => visit(byName.get(name)));
    ordered.push(file);
  };
  files.forEach(visit);
  return ordered;
}

describe("health and reflection", () => {
  let server: GrpcServer;
  let address = "";

  beforeAll(async () => {
    server = createGrpcServer({
      serving: false,
      services: [
        { service: TriageService, implementation: { classify: async () => ({}) } },
        {
          service: ReasoningService,
          implementation: {
            analyze: async () => ({}),
            analyzeStream: async function* () {
              yield {};
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

  it("reports NOT_SERVING until told, then SERVING per service and overall", async () => {
    expect(await checkHealth(address, "")).toBe("NOT_SERVING");
    server.setServing("", true);
    expect(await checkHealth(address, "")).toBe("SERVING");
    expect(await checkHealth(address, "mirage.v1.TriageService")).toBe("SERVING");

    server.setServing("mirage.v1.TriageService", false);
    expect(await checkHealth(address, "mirage.v1.TriageService")).toBe("NOT_SERVING");
    expect(await checkHealth(address, "mirage.v1.ReasoningService")).toBe("SERVING");
    // The whole server is serving only when every service is.
    expect(await checkHealth(address, "")).toBe("NOT_SERVING");
    expect(server.isServing("")).toBe(false);

    server.setServing("mirage.v1.TriageService", true);
    expect(await checkHealth(address)).toBe("SERVING");
  });

  it("says NOT_FOUND for a service it does not serve, and refuses to set one", async () => {
    await expect(checkHealth(address, "mirage.v1.NoSuchService")).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(() => server.setServing("mirage.v1.NoSuchService", true)).toThrow(/does not serve/);
  });

  it("says UNAVAILABLE when nothing listens", async () => {
    // Bind and stop a server to get a port that nothing listens on.
    const gone = createGrpcServer({ services: [] });
    const port = await gone.bind("127.0.0.1:0");
    await gone.shutdown(100);
    await expect(checkHealth(`127.0.0.1:${port}`, "", { deadlineMs: 2000 })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
  });

  it("lists the services by reflection", async () => {
    const response = await reflect(address, { list_services: "*" });
    const names = response.list_services_response?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining([
        "mirage.v1.TriageService",
        "mirage.v1.ReasoningService",
        "grpc.health.v1.Health",
      ]),
    );
  });

  it("describes a service's file with every dependency, enough to decode its messages", async () => {
    const files = fileDescriptors(
      await reflect(address, { file_containing_symbol: "mirage.v1.ReasoningService" }),
    );
    const names = files.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "mirage/v1/reasoning.proto",
        "mirage/v1/triage.proto",
        "mirage/v1/verdict.proto",
        "mirage/v1/upload.proto",
        "mirage/v1/analysis_mode.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    const reasoningFile = files.find((f) => f.name === "mirage/v1/reasoning.proto");
    expect(reasoningFile?.service[0]?.method.map((m) => [m.name, m.serverStreaming])).toEqual([
      ["Analyze", false],
      ["AnalyzeStream", true],
    ]);

    // A client that knows nothing but the reflected descriptors decodes a real message.
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(files) }));
    const reflected = registry.getMessage("mirage.v1.AnalyzeStreamResponse");
    expect(reflected).toBeDefined();
    if (reflected === undefined) return;
    const message = create(AnalyzeStreamResponseSchema, {
      event: {
        case: "verdict",
        value: {
          label: Label.NEEDS_REVIEW,
          reasoning: { steps: [{ stage: ReasoningStage.REFLECTION, text: "look again" }] },
        },
      },
    });
    const decoded = fromBinary(reflected, toBinary(AnalyzeStreamResponseSchema, message));
    expect(toBinary(reflected, decoded)).toEqual(toBinary(AnalyzeStreamResponseSchema, message));
    expect(reflected.oneofs.map((o) => o.name)).toEqual(["event"]);
  });

  it("finds the file of a message symbol", async () => {
    const files = fileDescriptors(
      await reflect(address, { file_containing_symbol: "mirage.v1.ClassifyRequest" }),
    );
    const triageFile = files.find((f) => f.name === "mirage/v1/triage.proto") as
      FileDescriptorProto | undefined;
    const request = triageFile?.messageType.find((m) => m.name === "ClassifyRequest");
    expect(request?.field.map((f) => f.name)).toEqual(["event_id", "image_id", "content", "policy", "mode"]);
    // The same bytes the generated code embeds: reflection describes what the server was built from.
    const generated = (TriageService.file satisfies DescFile).proto;
    expect(triageFile && toBinary(FileDescriptorProtoSchema, triageFile)).toEqual(
      toBinary(FileDescriptorProtoSchema, generated),
    );
  });
});
