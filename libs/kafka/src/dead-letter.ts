/**
 * Dead letters: an event that cannot be processed goes to the dead-letter topic with its original
 * key and value and two headers that say why (DESIGN.md, "Kafka topics").
 */
import { MirageError } from "@mirage/errors";
import type { ConsumedMessage } from "./consumed-message.js";
import type { ProducerMessage } from "./producer.js";

/** Header with the stable, machine-readable failure code (a MirageError's kebab-case `reason`). */
export const deadLetterCodeHeader = "mirage-error-code";
/** Header with the human-readable explanation. */
export const deadLetterReasonHeader = "mirage-error";

/**
 * The two dead-letter headers. `code` is the stable kebab-case code that dashboards count
 * (`mirage_dlq_total{reason}`), e.g. "undecodable-image"; `reason` is the sentence for people.
 */
export function deadLetterHeaders(code: string, reason: string): Record<string, string> {
  return { [deadLetterCodeHeader]: code, [deadLetterReasonHeader]: reason };
}

/**
 * The dead letter for `original`: its key (the imageId, or null when the event could not be read
 * far enough to know it), its value byte for byte, its headers (content type, trace context) plus
 * the code and reason of `error` (normalised with MirageError.from, fallback "unprocessable-event").
 */
export function deadLetterMessage(
  original: ConsumedMessage,
  error: unknown,
  options: { key?: string | null } = {},
): ProducerMessage {
  const failure = MirageError.from(error, "unprocessable-event");
  return {
    key: options.key === undefined ? original.key : options.key,
    value: original.value,
    headers: { ...original.headers, ...deadLetterHeaders(failure.reason, failure.message) },
  };
}

/** The code and reason of a dead letter's headers, or undefined when they are not dead-letter headers. */
export function readDeadLetterHeaders(
  headers: Readonly<Record<string, string>>,
): { code: string; reason: string } | undefined {
  const code = headers[deadLetterCodeHeader];
  const reason = headers[deadLetterReasonHeader];
  return code === undefined || reason === undefined ? undefined : { code, reason };
}
