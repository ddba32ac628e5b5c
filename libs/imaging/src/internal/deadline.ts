/** A wall-clock budget shared by the steps of one decode. */
export class Deadline {
  private readonly end: number;

  constructor(readonly budgetMs: number) {
    this.end = Date.now() + budgetMs;
  }

  /** Milliseconds left, never below zero. */
  remainingMs(): number {
    return Math.max(0, this.end - Date.now());
  }

  /**
   * Settles like `work`, or rejects with `onTimeout()` once the budget is spent. The losing
   * promise keeps running (libvips work cannot be interrupted from here, sharp's own timeout and
   * worker termination stop it), so its later rejection is observed here and not left unhandled.
   */
  race<T>(work: Promise<T>, onTimeout: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), this.remainingMs());
      timer.unref();
    });
    work.catch(() => undefined);
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
