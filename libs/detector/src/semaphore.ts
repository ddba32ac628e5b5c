import { MirageError } from "@mirage/errors";

/**
 * What a semaphore tells its observer (metrics): how long callers waited, who was turned away,
 * and the counts after every change.
 */
export interface SemaphoreObserver {
  /**
   * A caller left the queue: `admitted` (it holds a permit now; `waitMs` is 0 when one was free)
   * or `abandoned` (its signal aborted while it waited, or before it asked).
   */
  waited?(waitMs: number, outcome: "admitted" | "abandoned"): void;
  /** A caller was turned away because the queue was full. */
  refused?(): void;
  /** `active` or `waiting` changed. */
  changed?(active: number, waiting: number): void;
}

/** Options of {@link createSemaphore}. */
export interface SemaphoreOptions {
  /** Callers that may wait for a permit; the next one is refused at once. Default unbounded. */
  maxQueue?: number;
  /** The `reason` of the RESOURCE_EXHAUSTED error a refused caller gets. Default "overloaded". */
  overloadedReason?: string;
  /** Told of waits, refusals and changes. Default none. */
  observer?: SemaphoreObserver;
}

/** Options of one {@link Semaphore.run}. */
export interface RunOptions {
  /**
   * The caller's signal: when it aborts while the caller waits, the caller leaves the queue at once
   * and `work` never runs (DEADLINE_EXCEEDED `abandoned-in-queue`). Once `work` runs, the signal is
   * the work's business.
   */
  signal?: AbortSignal;
}

/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in order, up to `maxQueue`
 * of them. Services use it to bound how many detections or examinations (CPU- or GPU-bound) run
 * at once, and to refuse work that would only wait past its caller's deadline.
 */
export interface Semaphore {
  /**
   * Runs `work` once a permit is free; rejects with RESOURCE_EXHAUSTED (the configured reason)
   * when the queue is full, and with DEADLINE_EXCEEDED `abandoned-in-queue` when the signal aborts
   * first.
   */
  run<T>(work: () => Promise<T>, options?: RunOptions): Promise<T>;
  /** Holders now, and callers waiting. */
  readonly active: number;
  readonly waiting: number;
}

/** Creates a semaphore of `limit` permits. */
export function createSemaphore(limit: number, options: SemaphoreOptions = {}): Semaphore {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`a semaphore needs a whole number of permits ≥ 1, got ${limit}`);
  const maxQueue = options.maxQueue ?? Infinity;
  const observer = options.observer ?? {};
  let active = 0;
  const queue: Array<{ admit: () => void }> = [];
  const changed = () => observer.changed?.(active, queue.length);

  // The permit passes straight to the next waiter (active stays the same), so a caller arriving in
  // between cannot take it ahead of those who waited.
  const release = () => {
    const next = queue.shift();
    if (next) next.admit();
    else active--;
    changed();
  };

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (signal?.aborted) {
      observer.waited?.(0, "abandoned");
      return Promise.reject(abandoned(signal, 0));
    }
    if (active < limit) {
      active++;
      observer.waited?.(0, "admitted");
      changed();
      return Promise.resolve();
    }
    if (queue.length >= maxQueue) {
      observer.refused?.();
      return Promise.reject(
        new MirageError(
          "RESOURCE_EXHAUSTED",
          `${limit} running and ${queue.length} waiting: no room to wait`,
          {
            reason: options.overloadedReason ?? "overloaded",
            details: { limit, maxQueue },
          },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const enqueuedAt = performance.now();
      const entry = {
        admit: () => {
          signal?.removeEventListener("abort", onAbort);
          observer.waited?.(performance.now() - enqueuedAt, "admitted");
          resolve();
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(entry);
        if (index < 0) return; // admitted in the same tick: the work decides what an abort means
        queue.splice(index, 1);
        const waitMs = performance.now() - enqueuedAt;
        observer.waited?.(waitMs, "abandoned");
        changed();
        reject(abandoned(signal!, waitMs));
      };
      queue.push(entry);
      signal?.addEventListener("abort", onAbort, { once: true });
      changed();
    });
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    async run(work, runOptions = {}) {
      await acquire(runOptions.signal);
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

function abandoned(signal: AbortSignal, waitMs: number): MirageError {
  return new MirageError("DEADLINE_EXCEEDED", "the caller gave up while waiting for a permit", {
    reason: "abandoned-in-queue",
    cause: signal.reason,
    details: { waitMs: Math.round(waitMs) },
  });
}
