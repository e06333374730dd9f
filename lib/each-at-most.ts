/**
 * Runs `run` over every item with at most `limit` calls in flight, items taken in order: a pool of
 * workers draining one queue. Rejects with the first error (the other calls finish on their own).
 */
export async function eachAtMost<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await run(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
