/**
 * The suite's one way to wait on a condition instead of sleeping: polls `check` every `everyMs`
 * until it returns a value (anything but null, undefined or false) and answers with it; fails
 * naming `what` once `withinMs` have passed.
 */
export interface UntilOptions {
  readonly withinMs?: number;
  readonly everyMs?: number;
}

type Found<T> = T | null | undefined | false;

export async function until<T>(what: string, check: () => Found<T> | Promise<Found<T>>, { withinMs = 30_000, everyMs = 100 }: UntilOptions = {}): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
