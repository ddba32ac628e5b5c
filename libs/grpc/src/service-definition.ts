import {
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageShape,
} from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";

/** The gRPC path of a method: "/mirage.v1.TriageService/Classify". */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Binary (de)serialisers of one message type, as grpc-js wants them. */
export function messageCodec<Desc extends DescMessage>(
  schema: Desc,
): { serialize: (message: object) => Buffer; deserialize: (bytes: Buffer) => MessageShape<Desc> } {
  return {
    // grpc-js types what it serialises as `object`; it only ever passes the messages this package
    // created with the same schema.
    serialize: (message) => {
      const bytes = toBinary(schema, message as MessageShape<Desc>);
      // Buffer.from over the same memory: grpc-js frames Buffers, and copying a 20 MB image is waste.
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes) => fromBinary(schema, bytes),
  };
}

/**
 * A grpc-js service definition for a protobuf-es service descriptor (the `GenService` exported by a
 * generated `*_pb.ts`): binary protobuf on the wire, keyed by each method's `localName`
 * ("classify"), with the proto name ("Classify") as `originalName`.
 */
export function serviceDefinition(desc: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of desc.methods) {
    if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
      // The adapter implements what the contracts use; a new kind needs handlers and a client too.
      throw new TypeError(`${desc.typeName}.${method.name}: ${method.methodKind} methods are not supported`);
    }
    const request = messageCodec(method.input);
    const response = messageCodec(method.output);
    definition[method.localName] = {
      path: methodPath(method),
      requestStream: false,
      responseStream: method.methodKind === "server_streaming",
      requestSerialize: request.serialize,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize,
      responseDeserialize: response.deserialize,
      originalName: method.name,
    };
  }
  return definition;
}
