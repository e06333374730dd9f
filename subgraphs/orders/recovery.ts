/**
 * Resolves what a crash (of the coordinator, a site or a network) left behind, at start and
 * periodically, by feeding what it reads to the order machine (lib/twopc/machine/order-machine.ts,
 * through its driver) — the same machine, with the same rules, as the orders themselves:
 * - every prepared transaction (pg_prepared_xacts of each site, and of the coordinator's own
 *   database for the directory's branches): its decision site is asked at once, and a decision
 *   that exists is applied (a share whose COMMIT is durable does not keep its row locks until some
 *   timeout); an undecided one older than the timeout — its age measured by its own database
 *   server's clock — is fenced with ABORT there first, so a late COMMIT cannot follow;
 * - order intents whose lease expired while PENDING (their caller is gone): finalized as FAILED
 *   with a VOID of the authorization, unless the order committed;
 * - the payment outbox: a decided order whose outbox row is still unacknowledged has the site's
 *   relay run now; one whose payment disagrees with the decision, with no row left to change it
 *   (confirmed and not captured, cancelled and still captured, rejected by the provider), is
 *   flagged for an operator (and for `teranga payments reconcile`);
 * - decision rows every participant acknowledged (no share prepared anywhere) are pruned.
 */
import type { Kysely } from 'kysely';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { isSiteId, SITE_IDS, type SiteId } from '../../lib/sites.ts';
import { parseGid } from '../../lib/twopc/work.ts';
import { DIRECTORY, type Participant, type PaymentProblem } from '../../lib/twopc/machine/order-machine.ts';
import { localInDoubt } from './directory.ts';
import { observeRecovery } from './metrics.ts';
import { passRunner } from '../../lib/service/pass-runner.ts';
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
  /** Orders whose unacknowledged outbox rows had their site's relay run. */
  relayed: string[];
  /** Orders whose payment disagrees with the decision and no outbox row will fix. */
  paymentProblems: { orderId: string; site: SiteId; problem: PaymentProblem }[];
}

export async function recoverOnce(options: RecoveryOptions, now = Date.now()): Promise<RecoveryReport> {
  const report: RecoveryReport = { committed: [], rolledBack: [], pending: [], unreachable: [], abandoned: [], pruned: 0, relayed: [], paymentProblems: [] };
  const holders: { where: Participant; gid: string; preparedAt: string; ageMs?: number }[] = [];
  await Promise.all(
    SITE_IDS.map(async (site) => {
      try {
        for (const t of await options.sites.inDoubt(site)) holders.push({ where: site, ...t });
      } catch {
        report.unreachable.push(site);
      }
    }),
  );
  for (const t of await localInDoubt(options.db)) holders.push({ where: DIRECTORY, ...t });

  for (const { where, gid, preparedAt, ageMs } of holders) {
    const parsed = parseGid(gid);
    if (!parsed || !isSiteId(parsed.decisionSite)) continue;
    // the age by the clock of the server that prepared it, never by this process's
    const old = (ageMs ?? now - Date.parse(preparedAt)) > options.timeoutMs;
    // a site's share or the directory's branch: settled by the order machine (ask, fence with
    // ABORT once presumed dead, apply)
    const applied = await options.driver.settle(gid, where, parsed.decisionSite, old);
    if (applied === null) report.pending.push(gid);
    else {
      (applied === 'COMMIT' ? report.committed : report.rolledBack).push(gid);
      options.log(`recovery: ${applied === 'COMMIT' ? 'committed' : 'rolled back'} a prepared transaction`, { gid, at: where });
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

  await Promise.all(SITE_IDS.filter((site) => !report.unreachable.includes(site)).map((site) => checkPayments(options, site, report)));

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

/**
 * The payment outbox of one site, as recovery checks it: each decided order whose row is still
 * unacknowledged has the site's relay run, once for the whole pass — one relay pass drives every
 * due row of the site, so running it again for each row of a backlog made a recovery pass last
 * minutes, and the in-doubt shares of the next pass waited that long with their rows locked.
 */
export async function checkPayments(options: Pick<RecoveryOptions, 'sites' | 'driver' | 'timeoutMs' | 'log'>, site: SiteId, report: Pick<RecoveryReport, 'relayed' | 'paymentProblems'>): Promise<void> {
  const relays = new Map<SiteId, Promise<number>>();
  const relayOnce = (at: SiteId) => {
    if (!relays.has(at)) relays.set(at, options.sites.relayPayments(at));
    return relays.get(at)!;
  };
  try {
    // young rows are the relay's own business: it was kicked by the commit that wrote them
    for (const seen of await options.sites.paymentsToCheck(site, options.timeoutMs)) {
      const { relayed, problem } = await options.driver.checkPayment(seen, relayOnce);
      if (relayed) report.relayed.push(seen.orderId);
      if (problem) report.paymentProblems.push({ orderId: seen.orderId, site, problem });
    }
  } catch (error) {
    options.log('recovery: could not check the payment outbox', { site, error: (error as Error).message });
  }
}

export interface RecoverySettings {
  /** An undecided prepared transaction older than this is presumed dead and aborted. */
  inDoubtTimeoutMs: number;
  /** Time between two recovery passes. */
  intervalMs: number;
}

export interface RecoveryLoop {
  stop(): void;
  /** A pass that starts after the call (one already running is waited for, not joined). */
  runNow(): Promise<RecoveryReport>;
  settings(): RecoverySettings;
  /** Changes the settings of the running loop (an operator tuning recovery without a restart). */
  configure(change: Partial<RecoverySettings>): RecoverySettings;
}

export function startRecoveryLoop(options: RecoveryOptions, intervalMs: number): RecoveryLoop {
  let current: RecoverySettings = { inDoubtTimeoutMs: options.timeoutMs, intervalMs };
  const passes = passRunner(() => recoverOnce({ ...options, timeoutMs: current.inDoubtTimeoutMs }).then(observeRecovery));
  const schedule = () => {
    const timer = setInterval(() => {
      passes.tick().catch((error: Error) => options.log('recovery failed', { error: error.message }));
    }, current.intervalMs);
    timer.unref();
    return timer;
  };
  let timer = schedule();
  return {
    stop: () => clearInterval(timer),
    runNow: passes.runNow,
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
