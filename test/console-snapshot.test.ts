/**
 * The console's snapshot parts that are pure logic: the coordinator's figures read from its
 * Prometheus text, and the cache that keeps many open pages to one collection a second.
 */
import { describe, expect, it } from 'vitest';
import { consoleSites, coordinatorFigures, parsePrometheus, snapshotCache, type ConsoleSnapshot } from '../gateway/console/snapshot.ts';

const METRICS = `# HELP teranga_2pc_phase_duration_seconds Duration of each phase
# TYPE teranga_2pc_phase_duration_seconds histogram
teranga_2pc_phase_duration_seconds_bucket{le="0.01",phase="prepare"} 3
teranga_2pc_phase_duration_seconds_sum{phase="prepare"} 0.09
teranga_2pc_phase_duration_seconds_count{phase="prepare"} 3
teranga_2pc_phase_duration_seconds_sum{phase="decision"} 0.5
teranga_2pc_phase_duration_seconds_count{phase="decision"} 4
teranga_order_outcomes_total{operation="placeOrder",code="CONFIRMED"} 7
teranga_order_outcomes_total{operation="placeOrder",code="OUT_OF_STOCK"} 0
teranga_order_outcomes_total{operation="cancelOrder",code="CANCELLED"} 2
teranga_2pc_in_doubt_transactions 1
`;

describe('the coordinator figures', () => {
  it('gives each phase its mean and count, the outcomes seen, and what recovery left', () => {
    const figures = coordinatorFigures(parsePrometheus(METRICS));
    expect(figures.phases).toEqual([
      { phase: 'prepare', count: 3, meanMs: expect.closeTo(30, 6) },
      { phase: 'decision', count: 4, meanMs: 125 },
      { phase: 'commit', count: 0, meanMs: null },
    ]);
    expect(figures.outcomes).toEqual([
      { operation: 'placeOrder', code: 'CONFIRMED', count: 7 },
      { operation: 'cancelOrder', code: 'CANCELLED', count: 2 },
    ]);
    expect(figures.recoveryPending).toBe(1);
    expect(coordinatorFigures([]).recoveryPending).toBeNull();
  });
});

describe('the sites on the map', () => {
  it('are placed at their cities’ coordinates', () => {
    expect(consoleSites().map((s) => [s.id, s.lat, s.lon])).toEqual([
      ['dakar', 14.6928, -17.4467],
      ['thies', 14.791, -16.9359],
      ['saint-louis', 16.0179, -16.4896],
    ]);
  });
});

describe('the snapshot cache', () => {
  it('collects once for calls within the interval, again after it, and again after a failure', async () => {
    let calls = 0;
    let fail = false;
    const collect = async () => {
      calls++;
      if (fail) throw new Error('down');
      return { version: 1 } as ConsoleSnapshot;
    };
    const cached = snapshotCache(collect, 60_000);
    await Promise.all([cached(), cached(), cached()]);
    expect(calls).toBe(1);
    const fresh = snapshotCache(collect, 0);
    fail = true;
    await expect(fresh()).rejects.toThrow('down');
    fail = false;
    await expect(fresh()).resolves.toEqual({ version: 1 });
    expect(calls).toBe(3);
  });
});
