import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import type { PackageDefinition, ProtobufTypeDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { service as healthService } from "grpc-health-check";

// Every file the services are declared in, with the files they import, each once.
function filesOf(services: readonly DescService[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.proto.name)) return;
    seen.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((s) => visit(s.file));
  return [...seen.values()];
}

/**
 * A proto-loader style package definition (what @grpc/reflection reads) built from the descriptors
 * protobuf-es generated code already embeds: no .proto files are needed at run time, and what
 * reflection describes is exactly what the server was compiled against. grpc.health.v1 is added
 * from grpc-health-check's own definition, so that tools can call Health/Check by reflection too.
 */
export function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const fileDescriptorProtos = filesOf(services).map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  const definition: Record<string, ProtobufTypeDefinition> = {};
  for (const s of services) {
    definition[s.typeName] = { format: "Protocol Buffer 3 DescriptorProto", type: {}, fileDescriptorProtos };
  }
  const healthCheck = healthService.Check;
  if (healthCheck !== undefined) definition["grpc.health.v1.Health"] = healthCheck.requestType;
  // @grpc/reflection reads nothing but `fileDescriptorProtos` of each entry; the (de)serialisers a
  // full proto-loader definition carries would never be called.
  return definition as PackageDefinition;
}

/** Registers server reflection (grpc.reflection.v1 and v1alpha) describing `services` on `server`. */
export function addReflection(
  server: Pick<grpc.Server, "addService">,
  services: readonly DescService[],
): void {
  new ReflectionService(reflectionPackageDefinition(services)).addToServer(server);
}
