/**
 * Resolves what a crash (of the coordinator, a site or a network) left behind, at start and
 * periodically:
 * - every prepared transaction: its decision site is asked at once, and a decision that exists is
 *   applied (a share whose COMMIT is durable does not keep its row locks until some timeout); an
 *   undecided one older than the timeout — its age measured by its own database server's clock —
 *   is fenced with ABORT there first, so a late COMMIT cannot follow;
 * - order intents whose lease expired while PENDING (their caller is gone): finalized as FAILED
 *   with a VOID of the authorization, unless the order committed;
 * - decision rows every participant acknowledged (no share prepared anywhere) are pruned.
 */
import type { Kysely } from 'kysely';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { isSiteId, SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { parseGid } from '../../lib/twopc/work.ts';
import { finishLocal, localInDoubt } from './directory.ts';
import { observeRecovery } from './metrics.ts';
import type { OrderDriver } from './protocol/order-driver.ts';
import type { SiteClient } from './site-client.ts';

const ABANDONED_MESSAGE = 'The order was interrupted before it could be confirmed and was given up; nothing was charged. Place it again with a new idempotency key';

export interface RecoveryOptions {
  sites: SiteClient;
  /** The order machine's driver: settles the sites' prepared shares and the abandoned intents. */
  driver: OrderDriver;
  db: Kysely<CoordinatorDatabase>;
  /** An undecided prepared transaction older than this is aborted. */
  timeoutMs: number;
  /** Acknowledged decision rows older than this are deleted. */
  decisionRetentionMs?: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RecoveryReport {
  committed: string[];
  rolledBack: string[];
  pending: string[];
  unreachable: SiteId[];
  /** Order ids of abandoned intents finalized as FAILED. */
  abandoned: string[];
  /** Decision rows deleted. */
  pruned: number;
}

export async function recoverOnce(options: RecoveryOptions, now = Date.now()): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: [], rolledBack: [], pending: [], unreachable: [], abandoned: [], pruned: 0 };
  const holders: { where: SiteId | 'coordinator'; gid: string; preparedAt: string; ageMs?: number }[] = [];
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

  for (const { where, gid, preparedAt, ageMs } of holders) {
    const parsed = parseGid(gid);
    if (!parsed || !isSiteId(parsed.decisionSite)) continue;
    // the age by the clock of the server that prepared it (the coordinator's own database: ours)
    const old = (ageMs ?? now - Date.parse(preparedAt)) > options.timeoutMs;
    if (where !== 'coordinator') {
      // a share at a site: settled by the order machine (ask, fence with ABORT once presumed dead, apply)
      const applied = await options.driver.settle(gid, where, parsed.decisionSite, old);
      if (applied === null) report.pending.push(gid);
      else {
        (applied === 'COMMIT' ? report.committed : report.rolledBack).push(gid);
        options.log(`recovery: ${applied === 'COMMIT' ? 'committed' : 'rolled back'} a prepared transaction`, { gid, at: where });
      }
      continue;
    }
    // the coordinator's own share (a change of the client directory)
    let decision: 'COMMIT' | 'ABORT' | null = null;
    try {
      decision = await options.sites.decision(parsed.decisionSite, gid);
      // ABORT is recorded only when the transaction is old enough to be presumed dead
      if (decision === null && old) decision = await options.sites.decide(parsed.decisionSite, gid, 'ABORT');
    } catch {
      report.pending.push(gid);
      continue;
    }
    if (decision === null) {
      report.pending.push(gid);
      continue;
    }
    try {
      await finishLocal(options.db, gid, decision === 'COMMIT' ? 'COMMIT' : 'ROLLBACK');
      (decision === 'COMMIT' ? report.committed : report.rolledBack).push(gid);
      options.log(`recovery: ${decision === 'COMMIT' ? 'committed' : 'rolled back'} a prepared transaction`, { gid, at: where });
    } catch (error) {
      report.pending.push(gid);
      options.log('recovery: could not finish a prepared transaction', { gid, at: where, error: (error as Error).message });
    }
  }

  await Promise.all(
    SITE_IDS.filter((site) => !report.unreachable.includes(site)).map(async (site) => {
      try {
        for (const orderId of await options.sites.expiredIntents(site)) {
          // its last attempt's shares elsewhere were settled above (or will be): the intent's row
          // fences a decision still in flight at this site against this failure
          // by the order machine: FAILED with a VOID queued, unless the order committed
          const status = await options.driver.abandon(orderId, site, ABANDONED_MESSAGE);
          if (status === 'FAILED') {
            report.abandoned.push(orderId);
            options.log('recovery: gave up an interrupted order and voided its authorization', { orderId, site });
          }
        }
      } catch (error) {
        options.log('recovery: could not settle expired order intents', { site, error: (error as Error).message });
      }
    }),
  );

  // every site answered: a decision no share holds prepared anywhere has been acknowledged by all
  if (report.unreachable.length === 0) {
    const keep = [...new Set(holders.map((h) => h.gid))];
    const results = await Promise.all(
      SITE_IDS.map((site) => options.sites.pruneDecisions(site, keep, options.decisionRetentionMs ?? 600_000).catch(() => 0)),
    );
    report.pruned = results.reduce((a, b) => a + b, 0);
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
