/**
 * The worker pool that the relay, the concurrency simulator, the payments contention run and the
 * differential corpus share.
 */
import { describe, expect, it } from 'vitest';
import { eachAtMost } from '../lib/each-at-most.ts';

describe('eachAtMost', () => {
  it('runs every item once, starting them in order, never more than the limit at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await eachAtMost([10, 11, 12, 13, 14, 15, 16], 3, async (item, i) => {
      expect(item).toBe(10 + i);
      started.push(i);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(3);
  });

  it('does nothing for no items, and rejects with the first failure', async () => {
    await eachAtMost([], 4, async () => {
      throw new Error('never called');
    });
    await expect(eachAtMost([1, 2], 2, async (n) => {
      if (n === 2) throw new Error('two failed');
    })).rejects.toThrow('two failed');
  });
});
