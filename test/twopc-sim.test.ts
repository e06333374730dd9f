/**
 * The deterministic simulation of the order protocol (sim/twopc): a fixed set of seeds holds
 * every invariant; each planted defect is caught within a bounded number of seeds; a seed
 * replays exactly; and named scenarios are compared, whole, with their golden traces.
 *
 * Golden traces live in test/golden/. After a deliberate change of the protocol, regenerate them
 * with `UPDATE_GOLDEN=1 npx vitest run test/twopc-sim.test.ts` and review the diff; without the
 * flag a differing trace fails the test.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { settleState, type OrderEvent } from '../lib/twopc/machine/order-machine.ts';
import { DEFECTS, runSchedule, sweep, type DefectName } from '../sim/twopc/run.ts';
import { GID1, GID2, Script, toPrepares } from './support/machine-script.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, `${name}.trace`);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`no golden trace ${file}: generate it with UPDATE_GOLDEN=1`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** Seeds the unit tier explores on every run. */
const FIXED_SEEDS = 3_000;
/** How many seeds from seed 1 each planted defect may take to be caught (measured: 24, 230, 1, 114). */
const CATCH_WITHIN: Readonly<Record<DefectName, number>> = { defect1: 100, defect2: 500, defect5: 10, earlyRollback: 500 };
const MONEY = ['confirmed-is-captured', 'refused-is-voided', 'refused-never-captured', 'payment-status-true'];
/** The invariants each planted defect must be caught by. */
const CAUGHT_BY: Readonly<Record<DefectName, readonly string[]>> = { defect1: MONEY, defect2: MONEY, defect5: MONEY, earlyRollback: ['no-rollback-before-vote'] };

describe('simulation: invariants over a fixed set of schedules', () => {
  it(`seeds 1..${FIXED_SEEDS} hold every invariant`, () => {
    const result = sweep(1, FIXED_SEEDS);
    const failing = result.failing.slice(0, 3).map((f) => `seed ${f.seed}: ${f.violations.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`);
    expect(failing).toEqual([]);
    // the sweep reaches the paths that matter, not just happy ones
    expect(result.confirmed).toBeGreaterThan(FIXED_SEEDS);
    for (const path of ['crashes', 'retries', 'fences', 'inDoubt', 'takeovers', 'abandoned', 'recoveredCommit', 'recoveredAbort'] as const) {
      expect(result.coverage[path], path).toBeGreaterThan(0);
    }
  });

  for (const defect of DEFECTS) {
    it(`planted ${defect} is caught within ${CATCH_WITHIN[defect]} seeds`, () => {
      const result = sweep(1, CATCH_WITHIN[defect], { defect, stopAtFirst: true });
      expect(result.firstFailureAfter).not.toBeNull();
      const violated = result.failing[0]!.violations.map((v) => v.invariant);
      expect(violated.filter((v) => CAUGHT_BY[defect].includes(v)), violated.join(', ')).not.toEqual([]);
    });
  }
});

describe('simulation: replay', () => {
  it('a seed replays its schedule exactly', () => {
    const a = runSchedule(1292, { trace: true });
    const b = runSchedule(1292, { trace: true });
    expect(a.trace!.length).toBeGreaterThan(50);
    expect(b.trace).toEqual(a.trace);
  });

  it('a failing seed of a planted defect replays its violation', () => {
    const a = runSchedule(24, { defect: 'defect1', trace: true });
    expect(a.violations.length).toBeGreaterThan(0);
    expect(runSchedule(24, { defect: 'defect1' }).violations).toEqual(a.violations);
  });
});

const finished = (site: 'thies' | 'saint-louis', gid = GID1): OrderEvent => ({ type: 'finished', gid, site });
const yes = (site: 'thies' | 'saint-louis', gid = GID1): OrderEvent => ({ type: 'voted', gid, site, vote: { ok: true } });

describe('golden traces', () => {
  it('two-site order, happy path', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'), { type: 'local-committed', gid: GID1, vote: { ok: true } }, finished('thies'), finished('saint-louis'));
    golden('order-two-sites', s.trace());
  });

  it('conflict, then the ordered retry commits with the same authorization', () => {
    const s = new Script();
    s.run(
      ...toPrepares(),
      { type: 'voted', gid: GID1, site: 'thies', vote: { ok: false, code: 'CONFLICT' } },
      yes('saint-louis'),
      finished('thies'), finished('saint-louis'),
      { type: 'timer', name: 'retry' },
      { type: 'planned', gid: GID2, rounds: [['thies'], ['saint-louis']] },
      yes('thies', GID2), yes('saint-louis', GID2),
      { type: 'local-committed', gid: GID2, vote: { ok: true } },
      finished('thies', GID2), finished('saint-louis', GID2),
    );
    golden('order-conflict-retry', s.trace());
  });

  it('decision answer lost, fence unanswered: in doubt; recovery then commits the share', () => {
    const s = new Script();
    s.run(...toPrepares(), yes('thies'), yes('saint-louis'), { type: 'local-unknown', gid: GID1 }, { type: 'decide-unknown', gid: GID1 });
    const r = new Script(settleState(GID1, 'thies', 'dakar', false));
    r.run({ type: 'decided', gid: GID1, decision: 'COMMIT' }, finished('thies'));
    golden('order-in-doubt-recovery', `${s.trace()}--- recovery\n${r.trace()}`);
  });

  it('simulated schedule, seed 1292 (crashes, takeovers, recovery)', () => {
    const result = runSchedule(1292, { trace: true });
    expect(result.violations).toEqual([]);
    golden('sim-seed-1292', `${result.trace!.join('\n')}\n`);
  });
});
