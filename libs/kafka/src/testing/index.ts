/**
 * Test support for code that talks to Kafka: a real broker, and names that never collide.
 *
 * ```ts
 * import { afterAll, beforeAll } from "vitest";
 * import { ensureBroker, uniqueName, type TestBroker } from "@mirage/kafka/testing";
 * let broker: TestBroker;
 * beforeAll(async () => (broker = await ensureBroker()), 120_000);
 * afterAll(() => broker.stop());
 * const topic = uniqueName("uploads");
 * ```
 */
export { brokerAnswers, ensureBroker, uniqueName } from "./broker.js";
export type { EnsureBrokerOptions, TestBroker } from "./broker.js";
