/**
 * The participant's limit on shares running at once (pure code): a share past the limit waits for
 * a slot in order, and gives up with null when none frees up within its timeout.
 */
import { describe, expect, it } from 'vitest';
import { WorkSlots } from '../subgraphs/region/participant/work-slots.ts';

describe('work slots', () => {
  it('grants up to its size at once, then hands each freed slot to the longest waiter', async () => {
    const slots = new WorkSlots(2);
    const first = await slots.acquire(1_000);
    const second = await slots.acquire(1_000);
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    const granted: string[] = [];
    const third = slots.acquire(60_000).then((release) => (granted.push('third'), release));
    const fourth = slots.acquire(60_000).then((release) => (granted.push('fourth'), release));
    first!();
    first!(); // releasing twice frees one slot only
    const releaseThird = await third;
    expect(granted).toEqual(['third']);
    second!();
    const releaseFourth = await fourth;
    expect(granted).toEqual(['third', 'fourth']);
    releaseThird!();
    releaseFourth!();
    expect(await slots.acquire(0)).not.toBeNull();
  });

  it('gives up with null when no slot frees up in time, and the slot it waited for goes to the next', async () => {
    const slots = new WorkSlots(1);
    const held = await slots.acquire(1_000);
    expect(await slots.acquire(1)).toBeNull();
    const later = slots.acquire(60_000);
    held!();
    expect(await later).not.toBeNull();
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new WorkSlots(0)).toThrow(/positive integer/);
  });
});
