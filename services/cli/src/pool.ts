/**
 * Runs `work` over `items` with at most `concurrency` in flight, calling `onResult` in completion
 * order. Items are pulled lazily, so memory holds only what is in flight.
 */
export async function runPool<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  work: (item: T) => Promise<R>,
  onResult: (result: R, item: T) => void,
): Promise<void> {
  const iterator = (
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()
  ) as AsyncIterator<T> | Iterator<T>;
  const worker = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      onResult(await work(next.value), next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
