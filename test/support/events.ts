/** Upload events for cross-service tests, and a collector of what the mesh answers. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { Policy, UploadEventSchema } from "@mirage/contracts";
import {
  createConsumer,
  createKafkaClient,
  createProducer,
  type ConsumedMessage,
  type KafkaConsumer,
  type ProducerMessage,
} from "@mirage/kafka";
import { uniqueName } from "@mirage/kafka/testing";
import { sharedPath } from "@mirage/test-support";

export const datasetDir = sharedPath("datasets/aigi-v1");

/** A dataset image, small enough to keep the suite fast. */
export interface DatasetImage {
  path: string;
  label: "ai" | "real";
}

/** Picks `count` dataset images up to ~1.2 MP, AI and real alternating, deterministic. */
export function pickImages(count: number): DatasetImage[] {
  const [header, ...rows] = readFileSync(join(datasetDir, "manifest.csv"), "utf8").trim().split("\n");
  const cols = header!.split(",");
  const at = (row: string[], name: string) => row[cols.indexOf(name)]!;
  const candidates = rows
    .map((line) => line.split(","))
    .filter(
      (r) => Number(at(r, "width")) * Number(at(r, "height")) <= 1_200_000 && at(r, "format") !== "HEIC",
    )
    .map((r) => ({ path: at(r, "path"), label: at(r, "label") as "ai" | "real" }));
  const ai = candidates.filter((c) => c.label === "ai");
  const real = candidates.filter((c) => c.label === "real");
  const picked: DatasetImage[] = [];
  for (let i = 0; picked.length < count; i++) {
    const list = i % 2 === 0 ? ai : real;
    picked.push(list[Math.floor((i / 2) * 7) % list.length]!);
  }
  return picked;
}

/** An event the test sends, and what it expects back. */
export interface TestEvent {
  message: ProducerMessage;
  eventId: string;
  expect: "verdict" | "dead-letter";
}

/** Valid events over `images`: alternately inline (JSON base64), by file:// URI, and protobuf. */
export function validEvents(
  images: DatasetImage[],
  count: number,
  options: { policy?: "default" | "strict" } = {},
): TestEvent[] {
  const cache = new Map<string, Buffer>();
  return Array.from({ length: count }, (_, i) => {
    const image = images[i % images.length]!;
    const eventId = randomUUID();
    const imageId = `img-${i}-${image.path.split("/").pop()}`;
    const policy = options.policy ?? "default";
    if (i % 3 === 2) {
      const bytes = cache.get(image.path) ?? readFileSync(join(datasetDir, image.path));
      cache.set(image.path, bytes);
      const value = toBinary(
        UploadEventSchema,
        create(UploadEventSchema, {
          eventId,
          imageId,
          source: { case: "content", value: bytes },
          policy: policy === "strict" ? Policy.STRICT : Policy.DEFAULT,
        }),
      );
      return {
        eventId,
        expect: "verdict",
        message: {
          key: imageId,
          value: Buffer.from(value),
          headers: { "content-type": "application/x-protobuf" },
        },
      };
    }
    const source =
      i % 3 === 0
        ? {
            contentBase64: (cache.get(image.path) ?? readFileSync(join(datasetDir, image.path))).toString(
              "base64",
            ),
          }
        : { uri: pathToFileURL(join(datasetDir, image.path)).href };
    return {
      eventId,
      expect: "verdict",
      message: { key: imageId, value: JSON.stringify({ eventId, imageId, ...source, policy }) },
    };
  });
}

/** Broken events, each for its own reason. */
export function brokenEvents(count: number): TestEvent[] {
  const truncated = truncatedJpeg().toString("base64");
  const kinds = [
    () => "{ this is not json",
    () => JSON.stringify({ imageId: "no-event-id", uri: "file:///x.png" }),
    // A JPEG cut short: the header says image, the data ends early.
    () =>
      JSON.stringify({
        eventId: randomUUID(),
        imageId: "truncated",
        contentBase64: truncated,
      }),
    () =>
      JSON.stringify({ eventId: randomUUID(), imageId: "loopback", uri: "http://127.0.0.1:9/secret.png" }),
  ];
  return Array.from({ length: count }, (_, i) => {
    const value = kinds[i % kinds.length]!();
    let eventId = "";
    try {
      eventId = (JSON.parse(value) as { eventId?: string }).eventId ?? "";
    } catch {
      // bad JSON carries no eventId
    }
    return { eventId, expect: "dead-letter" as const, message: { key: `broken-${i}`, value } };
  });
}

function truncatedJpeg(): Buffer {
  const jpeg = pickImages(200).find((image) => image.path.endsWith(".jpg"))!;
  const bytes = readFileSync(join(datasetDir, jpeg.path));
  return bytes.subarray(0, Math.floor(bytes.length / 3));
}

/** Sends events in batches through our idempotent producer. */
export async function sendEvents(brokers: string, topic: string, events: TestEvent[]): Promise<void> {
  const producer = await createProducer(createKafkaClient({ brokers, clientId: "mirage-test-producer" }));
  try {
    for (let i = 0; i < events.length; i += 50)
      await producer.send(
        topic,
        events.slice(i, i + 50).map((e) => e.message),
      );
  } finally {
    await producer.close();
  }
}

/** What the mesh produced, as it arrives. */
export interface Collected {
  verdicts: Array<Record<string, unknown>>;
  /** When each verdict was written to Kafka (its message timestamp), by eventId (the first one). */
  producedAt: Map<string, number>;
  deadLetters: ConsumedMessage[];
  consumer: KafkaConsumer;
  /** Resolves when `predicate` holds (checked as messages arrive), or rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

/** Consumes the verdict and dead-letter topics from the beginning. */
export async function collect(
  brokers: string,
  topics: { verdicts: string; dlq: string },
): Promise<Collected> {
  const verdicts: Array<Record<string, unknown>> = [];
  const producedAt = new Map<string, number>();
  const deadLetters: ConsumedMessage[] = [];
  const consumer = createConsumer(
    createKafkaClient({ brokers, clientId: "mirage-test-collector", logLevel: "nothing" }),
    {
      groupId: uniqueName("collector"),
      topics: [topics.verdicts, topics.dlq],
      fromBeginning: true,
      handler: async (message) => {
        if (message.topic === topics.dlq) deadLetters.push(message);
        else {
          const verdict = JSON.parse(message.value.toString("utf8")) as Record<string, unknown>;
          verdicts.push(verdict);
          if (!producedAt.has(String(verdict.eventId)))
            producedAt.set(String(verdict.eventId), message.timestamp);
        }
      },
    },
  );
  await consumer.start();
  return {
    verdicts,
    producedAt,
    deadLetters,
    consumer,
    async until(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for ${what}: ${verdicts.length} verdicts, ${deadLetters.length} dead letters`,
          );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}
