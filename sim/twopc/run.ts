/**
 * Runs schedules of the simulated world: one seed is one schedule, checked by the invariants.
 */
import type { PlantedDefects } from '../../lib/twopc/machine/order-machine.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { World, type Coverage } from './world.ts';

export const DEFECTS = ['defect1', 'defect2', 'defect5', 'earlyRollback'] as const;
export type DefectName = (typeof DEFECTS)[number];

export interface ScheduleResult {
  seed: number;
  violations: Violation[];
  steps: number;
  orders: number;
  confirmed: number;
  coverage: Coverage;
  trace: string[] | null;
}

export function runSchedule(seed: number, options: { defect?: DefectName | null; trace?: boolean } = {}): ScheduleResult {
  const defects: PlantedDefects = options.defect ? { [options.defect]: true } : {};
  const world = new World({ seed, defects, trace: options.trace }).run();
  let confirmed = 0;
  for (const site of Object.values(world.sites)) confirmed += site.commandes.size;
  return { seed, violations: checkInvariants(world), steps: world.steps, orders: world.requests.length, confirmed, coverage: world.coverage, trace: world.trace };
}

export interface SweepResult {
  schedules: number;
  failing: ScheduleResult[];
  steps: number;
  confirmed: number;
  coverage: Coverage;
  /** The first failing seed's index in the sweep (1-based), or null. */
  firstFailureAfter: number | null;
}

/** Seeds first, first + 1, …; stops at the first failure when `stopAtFirst`. */
export function sweep(first: number, count: number, options: { defect?: DefectName | null; stopAtFirst?: boolean } = {}): SweepResult {
  const failing: ScheduleResult[] = [];
  let steps = 0;
  let confirmed = 0;
  let schedules = 0;
  let firstFailureAfter: number | null = null;
  const coverage: Coverage = { retries: 0, fences: 0, inDoubt: 0, takeovers: 0, recoveredCommit: 0, recoveredAbort: 0, abandoned: 0, crashes: 0 };
  for (let i = 0; i < count; i++) {
    const result = runSchedule(first + i, { defect: options.defect ?? null });
    schedules++;
    steps += result.steps;
    confirmed += result.confirmed;
    for (const k of Object.keys(coverage) as (keyof Coverage)[]) coverage[k] += result.coverage[k];
    if (result.violations.length > 0) {
      failing.push(result);
      firstFailureAfter ??= i + 1;
      if (options.stopAtFirst) break;
    }
  }
  return { schedules, failing, steps, confirmed, coverage, firstFailureAfter };
}
