/**
 * Which offset of one partition may be committed, when messages finish out of order.
 *
 * Kafka commits a single number per partition: "everything before this offset is done". Handlers
 * run concurrently and finish in any order, so the commit point is the first message that is still
 * in flight (or one past the last dispatched message when none is). Offsets are tracked in the
 * order they were delivered, not as consecutive integers: compaction and transaction markers leave
 * gaps, and a gap must not block the commit. Pure: no I/O, no timers.
 */

/** What a newly fetched offset is, relative to what this tracker has already seen. */
export type OffsetKind =
  /** Not dispatched yet: hand it to the handler. */
  | "new"
  /** Dispatched since the last commit (a refetch after a rebalance): skip it. */
  | "duplicate"
  /** Before the last commit: someone moved the group's offsets back; start over from it. */
  | "rewind";

interface Entry {
  readonly offset: bigint;
  done: boolean;
}

/** Tracks the dispatched, completed and committed offsets of one topic-partition. */
export class PartitionOffsets {
  // Dispatched entries in delivery order, from the oldest not yet committable one.
  readonly #entries: Entry[] = [];
  #head = 0;
  readonly #byOffset = new Map<bigint, Entry>();
  #lastDispatched: bigint | undefined;
  #committed: bigint | undefined;

  /** Classifies an offset that a fetch delivered. */
  classify(offset: bigint): OffsetKind {
    if (this.#lastDispatched === undefined || this.#committed === undefined) return "new";
    if (offset > this.#lastDispatched) return "new";
    if (offset >= this.#committed) return "duplicate";
    return "rewind";
  }

  /** Records that `offset` went to the handler. Offsets must increase (see {@link classify}). */
  dispatch(offset: bigint): void {
    if (this.#lastDispatched !== undefined && offset <= this.#lastDispatched) {
      throw new RangeError(
        `offset ${offset} dispatched after ${this.#lastDispatched}: offsets must increase`,
      );
    }
    // The first offset seen is where the group's committed position already is: nothing to commit yet.
    this.#committed ??= offset;
    const entry: Entry = { offset, done: false };
    this.#entries.push(entry);
    this.#byOffset.set(offset, entry);
    this.#lastDispatched = offset;
  }

  /** Records that the handler of `offset` finished. Returns false for an offset not in flight. */
  complete(offset: bigint): boolean {
    const entry = this.#byOffset.get(offset);
    if (entry === undefined || entry.done) return false;
    entry.done = true;
    this.#byOffset.delete(offset);
    return true;
  }

  /**
   * The offset to commit now (the next one to read), or undefined when the contiguous prefix of
   * completed messages has not moved past the last commit.
   */
  commitPoint(): bigint | undefined {
    while (this.#head < this.#entries.length && this.#entries[this.#head]?.done === true) this.#head += 1;
    // Drop the consumed front of the array now and then, so a long-lived partition stays small.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#lastDispatched === undefined || this.#committed === undefined) return undefined;
    const point = this.#entries[this.#head]?.offset ?? this.#lastDispatched + 1n;
    return point > this.#committed ? point : undefined;
  }

  /** Records that the group's committed offset is now `offset` (a commit succeeded). */
  markCommitted(offset: bigint): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  /** Messages handed to the handler that have not finished. */
  inFlight(): number {
    return this.#byOffset.size;
  }

  /** Messages dispatched since the last commit, finished or not: what a crash now would redeliver. */
  uncommitted(): number {
    const committed = this.#committed;
    if (committed === undefined) return 0;
    // Entries are sorted by offset: binary-search the first one at or after the commit point.
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#entries[middle]?.offset ?? committed) < committed) low = middle + 1;
      else high = middle;
    }
    return this.#entries.length - low;
  }

  /** The last committed offset this tracker knows of (the next one to read). */
  committed(): bigint | undefined {
    return this.#committed;
  }
}
