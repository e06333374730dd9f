/**
 * The coordinator's lock plan under each concurrency strategy (pure code): which shares prepare in
 * which round, and which may wait for a stock row lock.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SiteId } from '../lib/sites.ts';
import type { ParticipantWork } from '../lib/twopc/work.ts';
import { BRIEF_LOCK_WAIT_MS, concurrencyStrategyFromEnv, lockPlan } from '../subgraphs/orders/concurrency-control.ts';

const orderId = randomUUID();
const share = (withStock: boolean): ParticipantWork => ({
  gid: null,
  orderId,
  motif: 'COMMANDE',
  stock: withStock ? [{ productId: 121, delta: -1 }] : [],
});
const works = (entries: [SiteId, boolean][]) => new Map(entries.map(([site, stock]) => [site, share(stock)]));

describe('lock plan, locking strategy, first attempt: in parallel, no long wait', () => {
  it('prepares every other share in one parallel round and keeps the decision site’s stock in the decision step', () => {
    const plan = lockPlan('locking', 'dakar', works([['dakar', true], ['thies', true], ['saint-louis', true]]));
    expect(plan.prepareRounds).toEqual([['thies', 'saint-louis']]);
    expect(Object.fromEntries(plan.lockModes)).toEqual({ dakar: 'WAIT', thies: 'WAIT', 'saint-louis': 'WAIT' });
  });

  it('lets no stock share of a multi-site transaction wait longer than the brief wait', () => {
    const sites: SiteId[] = ['dakar', 'thies', 'saint-louis'];
    for (const decision of sites) {
      for (let mask = 1; mask < 8; mask++) {
        const stockAt = sites.filter((_, i) => mask & (1 << i));
        const involved = [...new Set([decision, ...stockAt])];
        const plan = lockPlan('locking', decision, works(involved.map((s): [SiteId, boolean] => [s, stockAt.includes(s)])));
        const context = `decision ${decision}, stock at ${stockAt.join('+')}`;
        expect(plan.prepareRounds.length, context).toBe(involved.length > 1 ? 1 : 0);
        expect(Object.fromEntries(plan.lockWaitsMs), context).toEqual(
          involved.length > 1 ? Object.fromEntries(stockAt.map((s) => [s, BRIEF_LOCK_WAIT_MS])) : {},
        );
      }
    }
  });

  it('waits the full lock timeout at the only site of a one-site order: its own deadlock detector sees every cycle there', () => {
    const plan = lockPlan('locking', 'thies', works([['thies', true]]));
    expect(plan.prepareRounds).toEqual([]);
    expect(plan.lockWaitsMs.size).toBe(0);
  });
});

/** A retry after CONFLICT. */
const RETRY = 2;

describe('lock plan, locking strategy, retry: one global order of (site, product)', () => {
  it('prepares the stock-taking shares one site after another, in site order', () => {
    const plan = lockPlan('locking', 'saint-louis', works([['saint-louis', false], ['thies', true], ['dakar', true]]), RETRY);
    expect(plan.prepareRounds).toEqual([['dakar'], ['thies']]);
    expect(Object.fromEntries(plan.lockModes)).toEqual({ dakar: 'WAIT', thies: 'WAIT', 'saint-louis': 'WAIT' });
    // Thiès locks while the transaction already holds Dakar's rows: it waits only briefly
    expect(Object.fromEntries(plan.lockWaitsMs)).toEqual({ thies: BRIEF_LOCK_WAIT_MS });
  });

  it('lets the decision site wait when its rows come after every other share’s', () => {
    const plan = lockPlan('locking', 'thies', works([['thies', true], ['dakar', true]]), RETRY);
    expect(plan.prepareRounds).toEqual([['dakar']]);
    expect(plan.lockModes.get('thies')).toBe('WAIT');
    expect(Object.fromEntries(plan.lockWaitsMs)).toEqual({ thies: BRIEF_LOCK_WAIT_MS });
  });

  it('prepares the decision site’s stock in its place in the order when it comes before another share’s', () => {
    // Dakar decides last but comes first in the global order: its stock is prepared first, apart
    const plan = lockPlan('locking', 'dakar', works([['dakar', true], ['thies', true]]), RETRY);
    expect(plan.prepareRounds).toEqual([['dakar'], ['thies']]);
    expect(Object.fromEntries(plan.lockModes)).toEqual({ dakar: 'WAIT', thies: 'WAIT' });
    expect(Object.fromEntries(plan.lockWaitsMs)).toEqual({ thies: BRIEF_LOCK_WAIT_MS });
  });

  it('never lets a share wait while it holds rows that come after the ones it wants, nor long while it holds any', () => {
    const sites: SiteId[] = ['dakar', 'thies', 'saint-louis'];
    for (const decision of sites) {
      for (let mask = 1; mask < 8; mask++) {
        const stockAt = sites.filter((_, i) => mask & (1 << i));
        const plan = lockPlan('locking', decision, works(sites.map((s): [SiteId, boolean] => [s, stockAt.includes(s)])), RETRY);
        // the sites whose stock is locked, in the order they lock it: prepared rounds, then the decision step
        const prepared = plan.prepareRounds.flat().filter((s) => stockAt.includes(s));
        const order = prepared.includes(decision) || !stockAt.includes(decision) ? prepared : [...prepared, decision];
        expect(order, `decision ${decision}, stock at ${stockAt.join('+')}`).toEqual(sites.filter((s) => stockAt.includes(s)));
        expect(plan.prepareRounds.every((round) => round.filter((s) => stockAt.includes(s)).length <= 1)).toBe(true);
        expect([...plan.lockModes.values()].every((mode) => mode === 'WAIT')).toBe(true);
        // only the first stock step waits the full lock timeout: every later one holds rows already
        expect([...plan.lockWaitsMs.keys()], `decision ${decision}, stock at ${stockAt.join('+')}`).toEqual(order.slice(1));
      }
    }
  });

  it('lets a decision share without stock wait, and puts shares without stock in the first round', () => {
    const plan = lockPlan('locking', 'dakar', works([['dakar', false], ['saint-louis', true], ['thies', false]]), RETRY);
    expect(plan.prepareRounds).toEqual([['saint-louis', 'thies']]);
    expect(plan.lockModes.get('dakar')).toBe('WAIT');
  });

  it('waits at the only site of a one-site order', () => {
    const plan = lockPlan('locking', 'thies', works([['thies', true]]), RETRY);
    expect(plan.prepareRounds).toEqual([]);
    expect(Object.fromEntries(plan.lockModes)).toEqual({ thies: 'WAIT' });
    expect(plan.lockWaitsMs.size).toBe(0);
  });
});

describe('lock plan, timestamp strategy: optimistic, nothing waits', () => {
  it('prepares every other share in one parallel round, all NOWAIT', () => {
    const plan = lockPlan('timestamp', 'dakar', works([['dakar', true], ['thies', true], ['saint-louis', true]]));
    expect(plan.prepareRounds).toEqual([['thies', 'saint-louis']]);
    expect(Object.fromEntries(plan.lockModes)).toEqual({ dakar: 'NOWAIT', thies: 'NOWAIT', 'saint-louis': 'NOWAIT' });
    expect(plan.lockWaitsMs.size).toBe(0);
  });
});

describe('TERANGA_CONCURRENCY', () => {
  it('defaults to locking, accepts the two strategies and names the setting when it is wrong', () => {
    expect(concurrencyStrategyFromEnv({})).toBe('locking');
    expect(concurrencyStrategyFromEnv({ TERANGA_CONCURRENCY: 'timestamp' })).toBe('timestamp');
    expect(concurrencyStrategyFromEnv({ TERANGA_CONCURRENCY: 'locking' })).toBe('locking');
    expect(() => concurrencyStrategyFromEnv({ TERANGA_CONCURRENCY: 'optimistic' })).toThrow(/TERANGA_CONCURRENCY must be one of locking, timestamp, got "optimistic"/);
  });
});
