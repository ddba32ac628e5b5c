/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in order. Services use it to
 * bound how many detections (CPU-bound decode + inference) run at once.
 */
export interface Semaphore {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Holders now, and callers waiting. */
  readonly active: number;
  readonly waiting: number;
}

/** Creates a semaphore of `limit` permits. */
export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    async run(work) {
      if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
      active++;
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
