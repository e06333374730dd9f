/**
 * Metrics of the coordinator, in the process registry served on /metrics: order outcomes by code,
 * the duration of each phase of two-phase commit, and what the last recovery pass left in doubt.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { processRegistry } from '../../lib/service/metrics.ts';
import type { RecoveryReport } from './recovery.ts';

export const orderOutcomes = new Counter({
  name: 'teranga_order_outcomes_total',
  help: 'Orders placed and cancelled, by outcome: CONFIRMED, CANCELLED, or the code that refused them',
  labelNames: ['operation', 'code'] as const,
  registers: [processRegistry],
});

export type TwoPhaseCommitPhase = 'prepare' | 'decision' | 'commit';

const phaseDuration = new Histogram({
  name: 'teranga_2pc_phase_duration_seconds',
  help: 'Duration of each phase of a global transaction: prepare (every other site, in parallel), decision (the decision site commits), commit (COMMIT PREPARED everywhere)',
  labelNames: ['phase'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry],
});

/** Starts timing a phase; the returned function records it. */
export function timePhase(phase: TwoPhaseCommitPhase): () => void {
  return phaseDuration.startTimer({ phase });
}

const inDoubt = new Gauge({
  name: 'teranga_2pc_in_doubt_transactions',
  help: 'Prepared transactions the last recovery pass found and could not resolve yet (no decision, or a site unreachable)',
  registers: [processRegistry],
});

const unreachable = new Gauge({
  name: 'teranga_2pc_recovery_unreachable_sites',
  help: 'Sites the last recovery pass could not ask for their prepared transactions',
  registers: [processRegistry],
});

const resolved = new Counter({
  name: 'teranga_2pc_recovered_transactions_total',
  help: 'Prepared transactions recovery resolved, by decision',
  labelNames: ['decision'] as const,
  registers: [processRegistry],
});

export function observeRecovery(report: RecoveryReport): RecoveryReport {
  inDoubt.set(report.pending.length);
  unreachable.set(report.unreachable.length);
  resolved.inc({ decision: 'COMMIT' }, report.committed.length);
  resolved.inc({ decision: 'ABORT' }, report.rolledBack.length);
  return report;
}

/** Runs one phase and records how long it took, whether it succeeded or threw. */
export async function timed<T>(phase: TwoPhaseCommitPhase, run: () => Promise<T>): Promise<T> {
  const end = timePhase(phase);
  try {
    return await run();
  } finally {
    end();
  }
}
