import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartitionOffsets } from "./offset-tracker.js";

function dispatched(...offsets: number[]): PartitionOffsets {
  const tracker = new PartitionOffsets();
  for (const offset of offsets) tracker.dispatch(BigInt(offset));
  return tracker;
}

describe("PartitionOffsets", () => {
  it("has nothing to commit before anything finished", () => {
    const tracker = dispatched(10, 11, 12);
    expect(tracker.commitPoint()).toBeUndefined();
    expect(tracker.inFlight()).toBe(3);
    expect(tracker.uncommitted()).toBe(3);
  });

  it("commits one past the last message when all finished in order", () => {
    const tracker = dispatched(10, 11, 12);
    for (const offset of [10n, 11n, 12n]) tracker.complete(offset);
    expect(tracker.commitPoint()).toBe(13n);
  });

  it("does not commit past a slow early message (out-of-order completion)", () => {
    const tracker = dispatched(0, 1, 2, 3, 4);
    tracker.complete(1n);
    tracker.complete(3n);
    tracker.complete(4n);
    expect(tracker.commitPoint()).toBeUndefined();
    tracker.complete(0n);
    expect(tracker.commitPoint()).toBe(2n); // 2 is still in flight
    tracker.markCommitted(2n);
    expect(tracker.commitPoint()).toBeUndefined();
    tracker.complete(2n);
    expect(tracker.commitPoint()).toBe(5n);
  });

  it("walks over gaps left by compaction and transaction markers", () => {
    const tracker = dispatched(100, 103, 107);
    tracker.complete(107n);
    tracker.complete(100n);
    expect(tracker.commitPoint()).toBe(103n);
    tracker.complete(103n);
    expect(tracker.commitPoint()).toBe(108n);
  });

  it("reports a commit point only once it moved past the last commit", () => {
    const tracker = dispatched(5, 6);
    tracker.complete(5n);
    expect(tracker.commitPoint()).toBe(6n);
    tracker.markCommitted(6n);
    expect(tracker.commitPoint()).toBeUndefined();
    // A late acknowledgement of an older commit never moves the mark back.
    tracker.markCommitted(4n);
    expect(tracker.committed()).toBe(6n);
  });

  it("classifies refetched offsets as duplicates and older ones as a rewind", () => {
    const tracker = dispatched(20, 21, 22);
    tracker.complete(20n);
    tracker.markCommitted(21n);
    expect(tracker.classify(23n)).toBe("new");
    expect(tracker.classify(21n)).toBe("duplicate");
    expect(tracker.classify(22n)).toBe("duplicate");
    expect(tracker.classify(20n)).toBe("rewind");
    expect(new PartitionOffsets().classify(0n)).toBe("new");
  });

  it("refuses offsets that do not increase", () => {
    const tracker = dispatched(3);
    expect(() => tracker.dispatch(3n)).toThrow(RangeError);
    expect(() => tracker.dispatch(2n)).toThrow(/must increase/);
  });

  it("ignores a completion it does not know, and a second one", () => {
    const tracker = dispatched(1);
    expect(tracker.complete(9n)).toBe(false);
    expect(tracker.complete(1n)).toBe(true);
    expect(tracker.complete(1n)).toBe(false);
  });

  it("counts what a crash would redeliver", () => {
    const tracker = dispatched(0, 1, 2, 3);
    tracker.complete(0n);
    tracker.complete(2n);
    expect(tracker.inFlight()).toBe(2);
    expect(tracker.uncommitted()).toBe(4);
    tracker.markCommitted(tracker.commitPoint() ?? 0n);
    expect(tracker.uncommitted()).toBe(3);
  });

  it("keeps offsets beyond 2^53 exact", () => {
    const base = 2n ** 60n;
    const tracker = new PartitionOffsets();
    tracker.dispatch(base);
    tracker.dispatch(base + 1n);
    tracker.complete(base);
    expect(tracker.commitPoint()).toBe(base + 1n);
  });

  it("stays small over a long run", () => {
    const tracker = new PartitionOffsets();
    for (let offset = 0n; offset < 50_000n; offset += 1n) {
      tracker.dispatch(offset);
      tracker.complete(offset);
      const point = tracker.commitPoint();
      if (point !== undefined) tracker.markCommitted(point);
    }
    expect(tracker.committed()).toBe(50_000n);
    expect(tracker.uncommitted()).toBe(0);
  });

  it("never commits past an unfinished message, whatever the completion order", () => {
    const scenario = fc
      .uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 })
      .chain((raw) =>
        fc.tuple(
          fc.constant(raw),
          fc.shuffledSubarray(raw, { minLength: raw.length, maxLength: raw.length }),
          fc.array(fc.boolean(), { minLength: raw.length, maxLength: raw.length }),
        ),
      );
    fc.assert(
      fc.property(scenario, ([raw, completionOrder, commitNow]) => {
        const offsets = [...raw].sort((a, b) => a - b).map(BigInt);
        const tracker = new PartitionOffsets();
        for (const offset of offsets) tracker.dispatch(offset);
        const order = completionOrder.map(BigInt);
        const finished = new Set<bigint>();
        for (const offset of order) {
          tracker.complete(offset);
          finished.add(offset);
          const point = tracker.commitPoint();
          if (point === undefined) continue;
          // Everything before the commit point is finished; the point itself is not, or is past the end.
          for (const earlier of offsets) if (earlier < point) expect(finished.has(earlier)).toBe(true);
          const first = offsets.find((offset) => !finished.has(offset));
          expect(point).toBe(first ?? (offsets.at(-1) ?? 0n) + 1n);
          if (commitNow[finished.size - 1] === true) tracker.markCommitted(point);
        }
        expect(tracker.inFlight()).toBe(0);
      }),
    );
  });
});
