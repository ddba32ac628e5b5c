/** A wake-up call: `wait()` resolves at the next `notify()`, or after a timeout. */
export class Signal {
  #waiters: (() => void)[] = [];

  /** Resolves at the next notify(), or after `timeoutMs` (the timer is cleared either way). */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done(): void {
        clearTimeout(timer);
        const index = waiters.indexOf(done);
        if (index >= 0) waiters.splice(index, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /** Wakes every waiter. */
  notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
