/**
 * The supervisor's backoff: each crash in a row doubles the wait before the restart, up to a
 * ceiling, and a service that ran for a while starts over from the first delay.
 */
import { describe, expect, it } from 'vitest';
import { FIRST_DELAY_MS, MAX_DELAY_MS, nextAttempt, restartDelayMs, STABLE_AFTER_MS } from '../cluster/restart-policy.ts';

describe('restart backoff', () => {
  it('doubles the delay with each crash in a row, up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(restartDelayMs(1)).toBe(FIRST_DELAY_MS);
    expect(restartDelayMs(1000)).toBe(MAX_DELAY_MS);
  });

  it('counts crashes in a row, and forgets them once the service has run long enough', () => {
    expect(nextAttempt(0, 10)).toBe(1);
    expect(nextAttempt(3, 5_000)).toBe(4);
    expect(nextAttempt(5, STABLE_AFTER_MS)).toBe(1);
  });
});
