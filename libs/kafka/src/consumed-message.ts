/** A message as the consumer hands it to the handler: decoded key and headers, raw value. */
export interface ConsumedMessage {
  /** The topic it was read from. */
  readonly topic: string;
  /** The partition it was read from. */
  readonly partition: number;
  /** Its offset, as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
  /** The key as UTF-8 (the imageId on Mirage topics), or null when the message has none. */
  readonly key: string | null;
  /** The value bytes; empty for a tombstone (a null value). */
  readonly value: Buffer;
  /** Headers decoded as UTF-8; when a key repeats, its last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** The message timestamp, in milliseconds since the epoch. */
  readonly timestamp: number;
}
