/**
 * When the supervisor starts a crashed service again: at once is a busy loop for a service that
 * dies at boot, so each crash in a row doubles the wait (1 s, 2 s, 4 s … up to 30 s), and a
 * service that then runs for a minute is forgiven its past crashes.
 */
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 30_000;
export const STABLE_AFTER_MS = 60_000;

/** The wait before restart number `attempt` (1 for the first crash in a row). */
export function restartDelayMs(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
}

/** The attempt number of a crash: the previous one plus one, or 1 when the process had run long enough to count as stable. */
export function nextAttempt(previousAttempt: number, ranForMs: number): number {
  return ranForMs >= STABLE_AFTER_MS ? 1 : previousAttempt + 1;
}
