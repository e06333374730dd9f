/**
 * Resolves prepared transactions left behind by a crash (of the coordinator, a site or a
 * network). For each one, the decision site named in its gid is asked; an undecided transaction
 * older than the timeout is fenced with ABORT there first, so a late COMMIT cannot follow.
 * Runs at start and periodically.
 */
import type { Kysely } from 'kysely';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { isSiteId, SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { parseGid } from '../../lib/twopc/work.ts';
import { finishLocal, localInDoubt } from './directory.ts';
import { observeRecovery } from './metrics.ts';
import type { SiteClient } from './site-client.ts';

export interface RecoveryOptions {
  sites: SiteClient;
  db: Kysely<CoordinatorDatabase>;
  /** An undecided prepared transaction older than this is aborted. */
  timeoutMs: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RecoveryReport {
  committed: string[];
  rolledBack: string[];
  pending: string[];
  unreachable: SiteId[];
}

export async function recoverOnce(options: RecoveryOptions, now = Date.now()): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: [], rolledBack: [], pending: [], unreachable: [] };
  const holders: { where: SiteId | 'coordinator'; gid: string; preparedAt: string }[] = [];
  await Promise.all(
    SITE_IDS.map(async (site) => {
      try {
        for (const t of await options.sites.inDoubt(site)) holders.push({ where: site, ...t });
      } catch {
        report.unreachable.push(site);
      }
    }),
  );
  for (const t of await localInDoubt(options.db)) holders.push({ where: 'coordinator', ...t });

  for (const { where, gid, preparedAt } of holders) {
    const parsed = parseGid(gid);
    if (!parsed || !isSiteId(parsed.decisionSite)) continue;
    const old = now - Date.parse(preparedAt) > options.timeoutMs;
    let decision: 'COMMIT' | 'ABORT' | null = null;
    try {
      // ABORT is recorded only when the transaction is old enough to be presumed dead
      decision = old
        ? await options.sites.decide(parsed.decisionSite, gid, 'ABORT')
        : null;
    } catch {
      report.pending.push(gid);
      continue;
    }
    if (decision === null) {
      report.pending.push(gid);
      continue;
    }
    try {
      if (where === 'coordinator') await finishLocal(options.db, gid, decision === 'COMMIT' ? 'COMMIT' : 'ROLLBACK');
      else if (decision === 'COMMIT') await options.sites.commitPrepared(where, gid);
      else await options.sites.rollbackPrepared(where, gid);
      (decision === 'COMMIT' ? report.committed : report.rolledBack).push(gid);
      options.log(`recovery: ${decision === 'COMMIT' ? 'committed' : 'rolled back'} a prepared transaction`, { gid, at: where });
    } catch (error) {
      report.pending.push(gid);
      options.log('recovery: could not finish a prepared transaction', { gid, at: where, error: (error as Error).message });
    }
  }
  return report;
}

export interface RecoverySettings {
  /** An undecided prepared transaction older than this is presumed dead and aborted. */
  inDoubtTimeoutMs: number;
  /** Time between two recovery passes. */
  intervalMs: number;
}

export interface RecoveryLoop {
  stop(): void;
  runNow(): Promise<RecoveryReport>;
  settings(): RecoverySettings;
  /** Changes the settings of the running loop (an operator tuning recovery without a restart). */
  configure(change: Partial<RecoverySettings>): RecoverySettings;
}

export function startRecoveryLoop(options: RecoveryOptions, intervalMs: number): RecoveryLoop {
  let running: Promise<RecoveryReport> | null = null;
  let current: RecoverySettings = { inDoubtTimeoutMs: options.timeoutMs, intervalMs };
  const runNow = () => {
    running ??= recoverOnce({ ...options, timeoutMs: current.inDoubtTimeoutMs }).then(observeRecovery).finally(() => {
      running = null;
    });
    return running;
  };
  const schedule = () => {
    const timer = setInterval(() => {
      runNow().catch((error: Error) => options.log('recovery failed', { error: error.message }));
    }, current.intervalMs);
    timer.unref();
    return timer;
  };
  let timer = schedule();
  return {
    stop: () => clearInterval(timer),
    runNow,
    settings: () => ({ ...current }),
    configure(change) {
      const next = { ...current, ...change };
      if (next.intervalMs !== current.intervalMs) {
        clearInterval(timer);
        current = next;
        timer = schedule();
      }
      current = next;
      options.log('recovery settings changed', { ...current });
      return { ...current };
    },
  };
}
