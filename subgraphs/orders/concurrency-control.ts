/**
 * How a global transaction takes its stock row locks, under the strategy the coordinator runs
 * with (`TERANGA_CONCURRENCY`, read once at start):
 *
 * - `locking` (default): pessimistic. Every share locks its rows with SELECT … FOR UPDATE in
 *   product-id order. A first attempt prepares every other share in parallel, then commits the
 *   decision site's share with the decision; since each share may already hold rows at another
 *   site, none waits longer than BRIEF_LOCK_WAIT_MS for a lock: a cycle of waits across sites,
 *   which no site's deadlock detector can see, lasts that long at most, then its shares vote
 *   CONFLICT. A retry follows one global order of (site, product) instead: the shares that take
 *   stock are prepared one after another in SITE_IDS order, so a transaction only waits for a row
 *   that comes after every row it holds, and no cycle of waits can form at all. The decision
 *   site's share still runs last (its local commit is the decision); when its stock rows come
 *   before another share's, its stock change is prepared apart, in its place in the order. Only
 *   the first stock step of a retry waits the site's full lock timeout: a later one, whose
 *   transaction holds rows already, waits BRIEF_LOCK_WAIT_MS at most, so waits do not chain into
 *   convoys. The fast path costs no extra round trip when orders do not collide; the ordered retry
 *   makes progress when they do. A one-site order is one local transaction: it waits the full
 *   lock timeout, and its site's own deadlock detector covers it. The lock timeout stays as the
 *   backstop (a coordinator that crashed holding prepared rows).
 * - `timestamp`: optimistic. The coordinator reads each row's version with its snapshot; every
 *   share, prepared in parallel, locks NOWAIT and votes CONFLICT if a version moved since. Nothing
 *   ever waits, so no deadlock of any kind; conflicts cost a retry instead of a wait.
 *
 * Pure: the plan is computed from the works alone and tested without a cluster.
 */
import { SITE_IDS, type SiteId } from '../../lib/sites.ts';
import type { LockMode, ParticipantWork } from '../../lib/twopc/work.ts';

export const CONCURRENCY_STRATEGIES = ['locking', 'timestamp'] as const;
export type ConcurrencyStrategy = (typeof CONCURRENCY_STRATEGIES)[number];

/** `TERANGA_CONCURRENCY`: `locking` when unset; anything else than the two names fails at start. */
export function concurrencyStrategyFromEnv(env: NodeJS.ProcessEnv = process.env): ConcurrencyStrategy {
  const raw = env.TERANGA_CONCURRENCY;
  if (raw === undefined || raw === '') return 'locking';
  if (!(CONCURRENCY_STRATEGIES as readonly string[]).includes(raw)) {
    throw new Error(`TERANGA_CONCURRENCY must be one of ${CONCURRENCY_STRATEGIES.join(', ')}, got "${raw}"`);
  }
  return raw as ConcurrencyStrategy;
}

export interface LockPlan {
  /**
   * Shares to prepare, in rounds: a round starts once the previous one voted yes. In the ordered
   * plan the decision site appears here when its stock change must be prepared in its place in
   * the global order; the rest of its work stays in the decision step.
   */
  readonly prepareRounds: readonly (readonly SiteId[])[];
  /** How each site's share (the decision site's included) takes its stock row locks. */
  readonly lockModes: ReadonlyMap<SiteId, LockMode>;
  /** Shares that may wait only briefly: they would wait while their transaction holds rows elsewhere. */
  readonly lockWaitsMs: ReadonlyMap<SiteId, number>;
}

/**
 * The longest wait of a share whose transaction already holds stock rows at another site. Waiting
 * while holding makes chains: each holder's rows stay locked for as long as it waits in turn, and
 * at moderate contention those convoys cost more than a retry. Long enough to outlast a one-site
 * order's hold of a row, short enough that no chain grows.
 */
export const BRIEF_LOCK_WAIT_MS = 100;

const rank = (site: SiteId) => SITE_IDS.indexOf(site);

/**
 * @param attempt 1 for a transaction's first attempt; a retry (after CONFLICT) of `locking` takes
 *   the ordered plan
 */
export function lockPlan(strategy: ConcurrencyStrategy, decisionSite: SiteId, works: ReadonlyMap<SiteId, ParticipantWork>, attempt = 1): LockPlan {
  const others = [...works.keys()].filter((site) => site !== decisionSite).sort((a, b) => rank(a) - rank(b));
  const lockModes = new Map([...works.keys()].map((site): [SiteId, LockMode] => [site, strategy === 'timestamp' ? 'NOWAIT' : 'WAIT']));
  const parallel = others.length > 0 ? [others] : [];
  if (strategy === 'timestamp') return { prepareRounds: parallel, lockModes, lockWaitsMs: new Map() };
  const takesStock = (site: SiteId) => (works.get(site)?.stock.length ?? 0) > 0;
  if (attempt <= 1) {
    // every share may hold rows elsewhere while it waits: none waits long
    const lockers = others.length > 0 ? [...works.keys()].filter(takesStock) : [];
    return { prepareRounds: parallel, lockModes, lockWaitsMs: new Map(lockers.map((site): [SiteId, number] => [site, BRIEF_LOCK_WAIT_MS])) };
  }
  const stockSites = others.filter(takesStock);
  const decisionInOrder = !takesStock(decisionSite) || stockSites.every((site) => rank(site) < rank(decisionSite));
  const ordered = (decisionInOrder ? stockSites : [...stockSites, decisionSite]).sort((a, b) => rank(a) - rank(b));
  // shares without stock rows lock nothing the global order covers: they go with the first round
  const rounds: SiteId[][] = ordered.map((site) => [site]);
  const free = others.filter((site) => !takesStock(site));
  if (rounds.length === 0 && free.length > 0) rounds.push([]);
  rounds[0]?.push(...free);
  // the first stock step waits the site's full lock timeout; every later one holds rows already
  const lockers = takesStock(decisionSite) && decisionInOrder ? [...ordered, decisionSite] : ordered;
  const lockWaitsMs = new Map(lockers.slice(1).map((site): [SiteId, number] => [site, BRIEF_LOCK_WAIT_MS]));
  return { prepareRounds: rounds, lockModes, lockWaitsMs };
}

/** What each site of one global transaction runs once the lock plan is applied. */
export interface PlannedShares {
  readonly rounds: readonly (readonly SiteId[])[];
  /** The share a site prepares (the decision site's stock change alone, when the plan prepares it apart). */
  shareOf(site: SiteId): ParticipantWork;
  /** The decision site's local commit (with the decision): its work less what was prepared apart. */
  readonly decisionWork: ParticipantWork;
}

/** Applies the lock plan to the works: lock modes, brief waits, and the decision site's split. */
export function planShares(strategy: ConcurrencyStrategy, decisionSite: SiteId, works: ReadonlyMap<SiteId, ParticipantWork>, attempt = 1): PlannedShares {
  const decision = works.get(decisionSite);
  if (!decision) throw new Error('the decision site has no work');
  const plan = lockPlan(strategy, decisionSite, works, attempt);
  const planned = (site: SiteId, work: ParticipantWork): ParticipantWork => ({
    ...work,
    lockMode: plan.lockModes.get(site) ?? work.lockMode,
    lockWaitMs: plan.lockWaitsMs.get(site) ?? work.lockWaitMs,
  });
  // the plan may move the decision site's stock change into the rounds: it is then prepared
  // there on its own, and the decision step keeps the rest of the site's work
  const split = plan.prepareRounds.some((round) => round.includes(decisionSite));
  return {
    rounds: plan.prepareRounds,
    shareOf(site) {
      if (site !== decisionSite) return planned(site, works.get(site)!);
      const { gid, orderId, motif, stock, budgetMs } = decision;
      return planned(site, { gid, orderId, motif, stock, ...(budgetMs === undefined ? {} : { budgetMs }) });
    },
    decisionWork: planned(decisionSite, split ? { ...decision, stock: [] } : decision),
  };
}
