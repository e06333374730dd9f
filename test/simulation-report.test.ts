/**
 * The concurrency simulator's figures: rates over the orders they are about.
 */
import { describe, expect, it } from 'vitest';
import { figuresOf } from '../sim/simulation-report.ts';
import type { SimulationReport } from '../sim/simulator.ts';

const report = (change: Partial<SimulationReport>): SimulationReport => ({
  strategy: 'locking', orders: 60, concurrency: 8, hotProducts: [1, 2, 3], stockPerProduct: 24, seed: 1, elapsedMs: 4_000,
  outcomes: { CONFIRMED: 35, OUT_OF_STOCK: 25 }, pendingRetries: 0, attempts: 57, attemptedOrders: 35,
  latencyMs: { p50: 1, p90: 1, p99: 1, max: 1 }, transactions: 60,
  serializability: { serializable: true, edges: 0, cycle: null, order: [] } as unknown as SimulationReport['serializability'],
  violations: [], ...change,
});

describe('simulation figures', () => {
  it('retries are the attempts beyond the first of the orders that reached one: an order refused before any attempt is no retry saved', () => {
    // 25 of the 60 orders were refused OUT_OF_STOCK before any attempt; the 35 others took 57
    expect(figuresOf(report({})).retryRate).toBeCloseTo(22 / 35, 6);
    expect(figuresOf(report({ attempts: 35 })).retryRate).toBe(0);
  });

  it('no coordinator ran the orders (the unsafe mode): no retry rate', () => {
    expect(figuresOf(report({ strategy: 'none', attempts: null, attemptedOrders: null })).retryRate).toBeNull();
  });
});
