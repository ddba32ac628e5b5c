/**
 * The kafkajs instance behind a KafkaClient. Kept in a WeakMap so that the public KafkaClient type
 * shows nothing of kafkajs: callers cannot reach around this library into kafkajs.
 */
import { MirageError } from "@mirage/errors";
import type { Kafka } from "kafkajs";
import type { AdapterLog } from "./log.js";

/** What producers and consumers need from the client they are made from. */
export interface ClientHandle {
  readonly kafka: Kafka;
  readonly log: AdapterLog;
  readonly clientId: string;
}

const handles = new WeakMap<object, ClientHandle>();

/** Attaches `handle` to `client`. */
export function attachHandle(client: object, handle: ClientHandle): void {
  handles.set(client, handle);
}

/** The handle of a client made by createKafkaClient; throws for anything else. */
export function handleOf(client: object): ClientHandle {
  const handle = handles.get(client);
  if (handle === undefined) {
    throw new MirageError("INVALID_ARGUMENT", "not a KafkaClient: make one with createKafkaClient()", {
      reason: "kafka-client-invalid",
    });
  }
  return handle;
}
