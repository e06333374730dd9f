/**
 * Runs one global transaction across sites.
 *
 * Phase 1: every participant except the decision site does its work and PREPAREs it — in parallel,
 * or in rounds when the concurrency strategy orders the sites' locks (concurrency-control.ts); the
 * rounds may include the decision site's stock change, prepared apart from the rest of its work.
 * Decision: the decision site (the client's site) does its own work and commits it in one local
 * transaction together with the COMMIT decision row — one-phase for that site, and the moment the
 * global transaction commits. Any no vote, error or timeout before that: ROLLBACK PREPARED
 * everywhere (presumed abort: an undecided prepared transaction is rolled back by recovery).
 * Phase 2: COMMIT PREPARED at every prepared site, retried; what cannot finish now is left to
 * recovery, which reads the decision at the decision site.
 */
import type { SiteId } from '../../lib/sites.ts';
import type { ParticipantVote, ParticipantWork } from '../../lib/twopc/work.ts';
import { planShares, type ConcurrencyStrategy } from './concurrency-control.ts';
import type { Faults } from './faults.ts';
import { timePhase, timed } from './metrics.ts';
import { SiteUnavailableError, type SiteClient } from './site-client.ts';

/** A participant outside the regions: the coordinator's own database (client directory changes). */
export interface LocalParticipant {
  prepare(gid: string): Promise<void>;
  commitPrepared(gid: string): Promise<void>;
  rollbackPrepared(gid: string): Promise<void>;
}

export interface GlobalTransaction {
  gid: string | null;
  decisionSite: SiteId;
  works: ReadonlyMap<SiteId, ParticipantWork>;
  local?: LocalParticipant;
  /** 1 for a first attempt; the lock plan of a retry may differ (concurrency-control.ts). */
  attempt?: number;
}

export type Outcome =
  | { committed: true; twoPhase: boolean }
  | { committed: false; vote: ParticipantVote; site: SiteId | 'coordinator' }
  | { committed: false; unavailable: SiteId; inDoubt: boolean };

export interface TwoPhaseCommitOptions {
  sites: SiteClient;
  faults: Faults;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Phase 2 retries before leaving the rest to recovery. */
  commitRetries?: number;
  /** How shares take their stock locks (default `locking`). */
  concurrency?: ConcurrencyStrategy;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TwoPhaseCommit {
  constructor(private readonly options: TwoPhaseCommitOptions) {}

  async run(unplanned: GlobalTransaction): Promise<Outcome> {
    const { sites } = this.options;
    const plan = planShares(this.options.concurrency ?? 'locking', unplanned.decisionSite, unplanned.works, unplanned.attempt);
    const tx: GlobalTransaction = {
      ...unplanned,
      works: new Map([...unplanned.works].map(([site, work]) => [site, site === unplanned.decisionSite ? plan.decisionWork : plan.shareOf(site)])),
    };
    const shareOf = plan.shareOf;
    const others = [...tx.works].filter(([site]) => site !== tx.decisionSite);

    if (others.length === 0 && !tx.local) {
      // one site: a plain local transaction, no PREPARE
      return this.decideAt(tx, [], false);
    }
    const gid = tx.gid;
    if (!gid) throw new Error('a multi-site transaction needs a gid');

    const prepared: SiteId[] = [];
    let localPrepared = false;
    let refusal: Outcome | null = null;
    try {
      if (tx.local) {
        await tx.local.prepare(gid);
        localPrepared = true;
      }
    } catch (error) {
      // the directory's own constraints (a duplicate email) vote here; anything else is internal
      const unique = (error as { code?: string }).code === '23505';
      return { committed: false, site: 'coordinator', vote: { gid, ok: false, code: unique ? 'DUPLICATE_EMAIL' : 'INTERNAL', message: (error as Error).message, productId: null, available: null, existingOrderId: null } };
    }
    let yes = 0;
    const preparing = timePhase('prepare');
    for (const round of plan.rounds) {
      if (refusal) break;
      await Promise.all(
        round.map(async (site) => {
          const work = shareOf(site);
          try {
            const vote = await sites.prepare(site, work);
            if (vote.ok) {
              prepared.push(site);
              this.options.faults.reached('after-prepare', ++yes);
            } else {
              refusal ??= { committed: false, vote, site };
            }
          } catch (error) {
            // a timeout may hide a prepare that succeeded: roll back there too
            prepared.push(site);
            // an error that is not a vote (a bug, a constraint the work broke) is not a conflict:
            // retrying it would fail the same way
            refusal ??= error instanceof SiteUnavailableError
              ? { committed: false, unavailable: site, inDoubt: false }
              : { committed: false, site, vote: { gid, ok: false, code: 'INTERNAL', message: (error as Error).message, productId: null, available: null, existingOrderId: null } };
          }
        }),
      );
    }
    preparing();
    if (refusal) {
      await this.rollbackAll(gid, prepared, localPrepared ? tx.local : undefined);
      return refusal;
    }
    return this.decideAt(tx, prepared, localPrepared);
  }

  private async decideAt(tx: GlobalTransaction, prepared: SiteId[], localPrepared: boolean): Promise<Outcome> {
    const { sites, faults } = this.options;
    const gid = tx.gid;
    let vote: ParticipantVote;
    try {
      vote = await timed('decision', () => sites.commitLocal(tx.decisionSite, tx.works.get(tx.decisionSite)!));
    } catch (error) {
      if (!gid) {
        if (error instanceof SiteUnavailableError) return { committed: false, unavailable: tx.decisionSite, inDoubt: false };
        throw error;
      }
      if (!(error instanceof SiteUnavailableError) && prepared.length + (localPrepared ? 1 : 0) === 0) throw error;
      // The decision site may or may not have committed — a one-site transaction too, whose site
      // may still be waiting for a lock when the call gives up: fence the outcome with ABORT.
      const decided = await sites.decide(tx.decisionSite, gid, 'ABORT').catch(() => null);
      if (decided === 'COMMIT') return this.finish(gid, prepared, localPrepared ? tx.local : undefined, true);
      if (decided === 'ABORT') {
        await this.rollbackAll(gid, prepared, localPrepared ? tx.local : undefined);
        if (error instanceof SiteUnavailableError) return { committed: false, unavailable: tx.decisionSite, inDoubt: false };
        // the site answered with an error: its transaction rolled back, and it is not a conflict
        return { committed: false, site: tx.decisionSite, vote: { gid, ok: false, code: 'INTERNAL', message: (error as Error).message, productId: null, available: null, existingOrderId: null } };
      }
      this.options.log('decision site unreachable: outcome left to recovery', { gid, site: tx.decisionSite });
      return { committed: false, unavailable: tx.decisionSite, inDoubt: true };
    }
    if (!vote.ok) {
      if (gid) await this.rollbackAll(gid, prepared, localPrepared ? tx.local : undefined);
      return { committed: false, vote, site: tx.decisionSite };
    }
    if (!gid || (prepared.length === 0 && !localPrepared)) return { committed: true, twoPhase: false };
    faults.reached('after-decision');
    return this.finish(gid, prepared, localPrepared ? tx.local : undefined, false);
  }

  private async finish(gid: string, prepared: SiteId[], local: LocalParticipant | undefined, recovered: boolean): Promise<Outcome> {
    const retries = this.options.commitRetries ?? 5;
    const commitOne = async (commit: () => Promise<void>, what: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          await commit();
          return;
        } catch (error) {
          if (attempt >= retries) {
            this.options.log('COMMIT PREPARED left to recovery', { gid, participant: what, error: (error as Error).message });
            return;
          }
          await sleep(50 * 2 ** attempt);
        }
      }
    };
    const steps: [string, () => Promise<void>][] = [
      ...prepared.map((site): [string, () => Promise<void>] => [site, () => this.options.sites.commitPrepared(site, gid)]),
      ...(local ? [['coordinator', () => local.commitPrepared(gid)] as [string, () => Promise<void>]] : []),
    ];
    let done = 0;
    await timed('commit', () => Promise.all(
      steps.map(async ([what, commit]) => {
        await commitOne(commit, what);
        if (++done === 1) this.options.faults.reached('between-commits');
      }),
    ));
    if (recovered) this.options.log('decision found COMMIT after an unclear answer', { gid });
    return { committed: true, twoPhase: true };
  }

  private async rollbackAll(gid: string, prepared: SiteId[], local: LocalParticipant | undefined): Promise<void> {
    await Promise.all([
      ...prepared.map((site) =>
        this.options.sites.rollbackPrepared(site, gid).catch((error: Error) =>
          this.options.log('ROLLBACK PREPARED left to recovery', { gid, site, error: error.message }),
        ),
      ),
      local?.rollbackPrepared(gid).catch((error: Error) => this.options.log('local ROLLBACK PREPARED failed', { gid, error: error.message })),
    ]);
  }
}
