import { describe, expect, it } from "vitest";
import { createSemaphore, type SemaphoreObserver } from "./semaphore.js";

/** A promise with its resolve, to hold a permit as long as a test wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** An observer that records everything. */
function recorder() {
  const waits: Array<{ waitMs: number; outcome: "admitted" | "abandoned" }> = [];
  const states: Array<[number, number]> = [];
  let refused = 0;
  const observer: SemaphoreObserver = {
    waited: (waitMs, outcome) => waits.push({ waitMs, outcome }),
    refused: () => refused++,
    changed: (active, waiting) => states.push([active, waiting]),
  };
  return { observer, waits, states, refused: () => refused };
}

describe("createSemaphore", () => {
  it("runs at most `limit` at once, in arrival order, and frees a permit on failure", async () => {
    const semaphore = createSemaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number, fail = false) =>
      semaphore.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        if (fail) throw new Error(`task ${i} failed`);
        return i;
      });
    const results = await Promise.allSettled([task(0), task(1, true), task(2), task(3), task(4)]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect(semaphore.active).toBe(0);
    expect(semaphore.waiting).toBe(0);
  });

  it("refuses a caller with RESOURCE_EXHAUSTED when the queue is full, and runs nothing for it", async () => {
    const { observer, refused } = recorder();
    const semaphore = createSemaphore(1, { maxQueue: 2, overloadedReason: "reasoning-overloaded", observer });
    const hold = gate();
    const ran: number[] = [];
    const task = (i: number) =>
      semaphore.run(async () => {
        ran.push(i);
        await hold.promise;
        return i;
      });
    const first = task(0);
    const queued = [task(1), task(2)];
    expect(semaphore.waiting).toBe(2);
    await expect(task(3)).rejects.toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      reason: "reasoning-overloaded",
      details: { limit: 1, maxQueue: 2 },
    });
    expect(refused()).toBe(1);
    hold.open();
    expect(await Promise.all([first, ...queued])).toEqual([0, 1, 2]);
    expect(ran).toEqual([0, 1, 2]);
  });

  it("lets a caller whose signal aborts leave the queue at once; its work never runs", async () => {
    const { observer, waits, states } = recorder();
    const semaphore = createSemaphore(1, { observer });
    const hold = gate();
    const ran: string[] = [];
    const first = semaphore.run(async () => {
      ran.push("first");
      await hold.promise;
    });
    const controller = new AbortController();
    const gone = semaphore.run(
      async () => {
        ran.push("gone");
      },
      { signal: controller.signal },
    );
    const last = semaphore.run(async () => {
      ran.push("last");
    });
    expect(semaphore.waiting).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error("client cancelled"));
    // It left before the permit was free: nothing else had to happen first.
    await expect(gone).rejects.toMatchObject({ code: "DEADLINE_EXCEEDED", reason: "abandoned-in-queue" });
    expect(semaphore.waiting).toBe(1);
    hold.open();
    await Promise.all([first, last]);
    expect(ran).toEqual(["first", "last"]);
    const abandoned = waits.filter((w) => w.outcome === "abandoned");
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.waitMs).toBeGreaterThanOrEqual(15);
    expect(waits.filter((w) => w.outcome === "admitted")).toHaveLength(2);
    expect(states.at(-1)).toEqual([0, 0]);
  });

  it("does not queue a caller whose signal has already aborted", async () => {
    const semaphore = createSemaphore(1);
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await expect(
      semaphore.run(
        async () => {
          ran = true;
        },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ reason: "abandoned-in-queue" });
    expect(ran).toBe(false);
    expect(semaphore.active).toBe(0);
  });

  it("reports each admitted caller's wait: 0 with a free permit, the time queued otherwise", async () => {
    const { observer, waits, states } = recorder();
    const semaphore = createSemaphore(1, { observer });
    const hold = gate();
    const first = semaphore.run(() => hold.promise);
    const second = semaphore.run(async () => undefined);
    expect(states).toEqual([
      [1, 0],
      [1, 1],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    hold.open();
    await Promise.all([first, second]);
    expect(waits[0]).toEqual({ waitMs: 0, outcome: "admitted" });
    expect(waits[1]!.outcome).toBe("admitted");
    expect(waits[1]!.waitMs).toBeGreaterThanOrEqual(25);
    // The permit passed from the first holder to the waiter without being free in between.
    expect(states).toEqual([
      [1, 0],
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
  });

  it("hands a freed permit to the waiter, not to a caller that arrives in the same tick", async () => {
    const semaphore = createSemaphore(1);
    const hold = gate();
    const order: string[] = [];
    const first = semaphore.run(async () => {
      await hold.promise;
      order.push("first");
    });
    const waiter = semaphore.run(async () => {
      order.push("waiter");
    });
    hold.open();
    await first;
    // The permit is the waiter's now, even before its work has started.
    const late = semaphore.run(async () => {
      order.push("late");
    });
    expect(semaphore.active).toBe(1);
    await Promise.all([waiter, late]);
    expect(order).toEqual(["first", "waiter", "late"]);
  });

  it("refuses a limit below one", () => {
    expect(() => createSemaphore(0)).toThrow(RangeError);
  });
});
