/**
 * The order driver running the order machine over scripted sites and a scripted provider: pure
 * driver logic (which call follows which answer), no cluster. The real participants are covered
 * over HTTP by the e2e tier.
 */
import { describe, expect, it } from 'vitest';
import { Deadline } from '../lib/deadline.ts';
import type { Authorization, PaymentProvider } from '../lib/payments/client.ts';
import type { SiteId } from '../lib/sites.ts';
import type { FinalizeRequest, IntentOutcome, OrderIntent } from '../lib/twopc/intent.ts';
import type { ParticipantVote, ParticipantWork } from '../lib/twopc/work.ts';
import { orderMachineConfig } from '../subgraphs/orders/order-service.ts';
import { OrderDriver, type AttemptPlan, type OrderPlanner } from '../subgraphs/orders/protocol/order-driver.ts';
import { SiteUnavailableError, type SiteClient } from '../subgraphs/orders/site-client.ts';
import type { DirectoryBranches, DirectoryShare } from '../subgraphs/orders/directory.ts';
import { DIRECTORY, type PaymentObservation } from '../lib/twopc/machine/order-machine.ts';
import { checkPayments, type RecoveryReport } from '../subgraphs/orders/recovery.ts';

const yes = (gid: string): ParticipantVote => ({ gid, ok: true, code: null, message: null, productId: null, available: null, existingOrderId: null });
const no = (gid: string, code: string): ParticipantVote => ({ ...yes(gid), ok: false, code, message: code });

type Script = {
  prepare?: (site: SiteId, gid: string, n: number) => ParticipantVote | Error;
  commitLocal?: (gid: string) => ParticipantVote | Error;
  decide?: (gid: string) => 'COMMIT' | 'ABORT' | Error;
};

/** Sites that answer as scripted and record every call, in order. */
function scriptedSites(script: Script) {
  const calls: string[] = [];
  let prepares = 0;
  const answer = <T>(value: T | Error): T => {
    if (value instanceof Error) throw value;
    return value;
  };
  const sites = {
    async beginOrder(site: SiteId, intent: OrderIntent): Promise<IntentOutcome> {
      calls.push(`begin ${site}`);
      return { outcome: 'NEW', orderId: intent.orderId };
    },
    async prepare(site: SiteId, work: ParticipantWork): Promise<ParticipantVote> {
      calls.push(`prepare ${site} ${work.gid}`);
      return answer(script.prepare?.(site, work.gid!, ++prepares) ?? yes(work.gid!));
    },
    async commitLocal(site: SiteId, work: ParticipantWork): Promise<ParticipantVote> {
      calls.push(`commit-local ${site} ${work.gid}`);
      return answer(script.commitLocal?.(work.gid!) ?? yes(work.gid!));
    },
    async decide(site: SiteId, gid: string, decision: 'ABORT'): Promise<'COMMIT' | 'ABORT'> {
      calls.push(`decide ${site} ${gid} ${decision}`);
      return answer(script.decide?.(gid) ?? decision);
    },
    async decision(site: SiteId, gid: string): Promise<null> {
      calls.push(`decision ${site} ${gid}`);
      return null;
    },
    async commitPrepared(site: SiteId, gid: string): Promise<void> {
      calls.push(`commit-prepared ${site} ${gid}`);
    },
    async rollbackPrepared(site: SiteId, gid: string): Promise<void> {
      calls.push(`rollback-prepared ${site} ${gid}`);
    },
    async finalizeOrder(site: SiteId, request: FinalizeRequest): Promise<'FAILED'> {
      calls.push(`finalize ${site} ${request.code} void=${request.voidPayment}`);
      return 'FAILED';
    },
    async relayPayments(site: SiteId): Promise<number> {
      calls.push(`relay ${site}`);
      return 1;
    },
  };
  return { sites: sites as unknown as SiteClient, calls };
}

/** The coordinator database's branch, recording its calls in the same list as the sites'. */
function scriptedDirectory(calls: string[], prepare: (gid: string) => void = () => {}): DirectoryBranches & DirectoryShare {
  return {
    async prepare(gid) {
      calls.push(`prepare directory ${gid}`);
      prepare(gid);
    },
    async commitPrepared(gid) {
      calls.push(`commit-prepared directory ${gid}`);
    },
    async rollbackPrepared(gid) {
      calls.push(`rollback-prepared directory ${gid}`);
    },
  };
}

function scriptedProvider() {
  const keys: string[] = [];
  const payments: PaymentProvider = {
    async authorize(request): Promise<Authorization> {
      keys.push(request.idempotencyKey);
      return { approved: true, payment: { reference: 'pay-1', orderId: request.orderId, amount: request.amount, currency: 'XOF', method: request.method, status: 'AUTHORIZED' } };
    },
  };
  return { payments, keys };
}

/** A two-site order (Dakar decides, Thiès gives stock): gids g1, g2, … one per attempt. */
function planner(): OrderPlanner & { attempts: number } {
  const p = {
    attempts: 0,
    feasible: () => null,
    async plan(attempt: number, orderId: string): Promise<AttemptPlan> {
      p.attempts = attempt;
      const gid = `g${attempt}`;
      const work = (site: SiteId): ParticipantWork => ({ gid, orderId, motif: 'COMMANDE', stock: site === 'thies' ? [{ productId: 1, delta: -1 }] : [] });
      return { gid, rounds: [['thies']], shareOf: work, decisionWork: work('dakar') };
    },
  };
  return p;
}

function driver(sites: SiteClient, payments: PaymentProvider, directory: DirectoryBranches = scriptedDirectory([])) {
  return new OrderDriver({ sites, directory, payments, faults: { reached: () => {} }, config: orderMachineConfig(5), log: () => {}, leaseMarginMs: 1_000, minAttemptMs: 10, holder: 'orders:dakar#00000000-0000-4000-8000-000000000001' });
}

const request = { orderId: 'o-1', clientId: 1, key: 'k', fingerprint: 'f', amount: 100, method: 'WAVE' as const, clientSite: 'dakar' as const };

describe('order driver with the order machine', () => {
  it('retries a CONFLICT with a new gid under the same single authorization, then commits', async () => {
    const { sites, calls } = scriptedSites({ prepare: (_site, gid, n) => (n === 1 ? no(gid, 'CONFLICT') : yes(gid)) });
    const { payments, keys } = scriptedProvider();
    const plan = planner();
    const result = await driver(sites, payments).placeOrder(request, plan, Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: true, orderId: 'o-1' });
    expect(result.conflicts).toBe(1);
    expect(keys).toEqual(['o-1']);
    expect(calls).toEqual([
      'begin dakar',
      'prepare thies g1',
      'rollback-prepared thies g1',
      'prepare thies g2',
      'commit-local dakar g2',
      'commit-prepared thies g2',
    ]);
  });

  it('fences an unclear decision with ABORT and follows the COMMIT that stands', async () => {
    const { sites, calls } = scriptedSites({ commitLocal: () => new SiteUnavailableError('site dakar', new Error('timeout')), decide: () => 'COMMIT' });
    const { payments } = scriptedProvider();
    const result = await driver(sites, payments).placeOrder(request, planner(), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: true, orderId: 'o-1' });
    expect(calls.slice(-2)).toEqual(['decide dakar g1 ABORT', 'commit-prepared thies g1']);
  });

  it('an unanswered fence voids nothing and finalizes nothing: the caller is told to retry with the key', async () => {
    const down = () => new SiteUnavailableError('site dakar', new Error('timeout'));
    const { sites, calls } = scriptedSites({ commitLocal: down, decide: down });
    const { payments } = scriptedProvider();
    const result = await driver(sites, payments).placeOrder(request, planner(), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: false, code: 'SITE_UNAVAILABLE' });
    expect(calls.filter((c) => c.startsWith('finalize') || c.startsWith('rollback') || c.startsWith('commit-prepared'))).toEqual([]);
  });

  it('a definite refusal rolls back what was prepared and finalizes the intent FAILED with a void', async () => {
    const { sites, calls } = scriptedSites({ prepare: (_site, gid) => no(gid, 'OUT_OF_STOCK') });
    const { payments } = scriptedProvider();
    const result = await driver(sites, payments).placeOrder(request, planner(), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: false, code: 'OUT_OF_STOCK' });
    expect(calls.slice(-2)).toEqual(['rollback-prepared thies g1', 'finalize dakar OUT_OF_STOCK void=true']);
  });

  it('settles a share found prepared by asking its decision site and applying the answer', async () => {
    const { sites, calls } = scriptedSites({});
    const settled = await driver(sites, scriptedProvider().payments).settle('g9', 'thies', 'dakar', true);
    // the decision site had none: an old share is fenced with ABORT, then rolled back
    expect(settled).toBe('ABORT');
    expect(calls).toEqual(['decision dakar g9', 'decide dakar g9 ABORT', 'rollback-prepared thies g9']);
  });
});

describe('order driver: cancellations, registrations and moves run the same machine', () => {
  /** A cancellation of a Dakar order whose stock goes back to Thiès: gids c1, c2, … one per attempt. */
  const cancellation = (directory?: DirectoryShare) => ({
    async plan(attempt: number): Promise<AttemptPlan> {
      const gid = `c${attempt}`;
      const work = (site: SiteId): ParticipantWork => ({ gid, orderId: 'o-1', motif: 'ANNULATION', stock: site === 'thies' ? [{ productId: 1, delta: 1 }] : [] });
      return { gid, rounds: directory ? [[DIRECTORY], ['thies']] : [['thies']], shareOf: work, decisionWork: work('dakar'), ...(directory ? { directory } : {}) };
    },
  });

  it('a cancellation retries a CONFLICT under a new gid; no intent, no authorization, no finalize', async () => {
    const { sites, calls } = scriptedSites({ prepare: (_site, gid, n) => (n === 1 ? no(gid, 'CONFLICT') : yes(gid)) });
    const { payments, keys } = scriptedProvider();
    const result = await driver(sites, payments).transact('o-1', 'dakar', cancellation(), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: true, orderId: 'o-1' });
    expect(keys).toEqual([]);
    expect(calls).toEqual(['prepare thies c1', 'rollback-prepared thies c1', 'prepare thies c2', 'commit-local dakar c2', 'commit-prepared thies c2']);
  });

  it('the directory branch is prepared first and finished with the shares, by the same calls', async () => {
    const { sites, calls } = scriptedSites({});
    const directory = scriptedDirectory(calls);
    const result = await driver(sites, scriptedProvider().payments, directory).transact('o-1', 'dakar', cancellation(directory), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: true, orderId: 'o-1' });
    expect(calls.slice(0, 3)).toEqual(['prepare directory c1', 'prepare thies c1', 'commit-local dakar c1']);
    expect(calls.slice(3).sort()).toEqual(['commit-prepared directory c1', 'commit-prepared thies c1']);
  });

  it('a unique violation in the directory is a DUPLICATE_EMAIL vote: no site is asked, nothing is retried', async () => {
    const { sites, calls } = scriptedSites({});
    const directory = scriptedDirectory(calls, () => {
      throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    });
    const result = await driver(sites, scriptedProvider().payments, directory).transact('r-1', 'dakar', cancellation(directory), Deadline.after(5_000));
    expect(result.reply).toEqual({ ok: false, code: 'DUPLICATE_EMAIL' });
    expect(calls).toEqual(['prepare directory c1', 'rollback-prepared directory c1']);
  });

  it('recovery settles a directory branch through the machine: asks the decision site, then finishes the branch', async () => {
    const { sites, calls } = scriptedSites({});
    const settled = await driver(sites, scriptedProvider().payments, scriptedDirectory(calls)).settle('g7', DIRECTORY, 'thies', true);
    expect(settled).toBe('ABORT');
    expect(calls).toEqual(['decision thies g7', 'decide thies g7 ABORT', 'rollback-prepared directory g7']);
  });

  it('recovery runs the site relay for an unacknowledged outbox row, and only flags a disagreement', async () => {
    const { sites, calls } = scriptedSites({});
    const d = driver(sites, scriptedProvider().payments);
    expect(await d.checkPayment({ orderId: 'o-2', site: 'thies', order: 'CONFIRMEE', payment: 'AUTORISE', outbox: [{ operation: 'CAPTURE', status: 'PENDING' }] }))
      .toEqual({ relayed: true, problem: null });
    expect(await d.checkPayment({ orderId: 'o-3', site: 'thies', order: 'CONFIRMEE', payment: 'AUTORISE', outbox: [] }))
      .toEqual({ relayed: false, problem: 'CONFIRMED_NOT_CAPTURED' });
    expect(calls).toEqual(['relay thies']);
  });
});

describe('recovery’s payment check, through the driver', () => {
  it('runs a site’s relay once per pass for its whole backlog, not once per unacknowledged row', async () => {
    const { sites, calls } = scriptedSites({});
    const backlog: PaymentObservation[] = Array.from({ length: 5 }, (_, i) => ({
      orderId: `o-${i}`, site: 'dakar', order: 'CONFIRMEE', payment: 'AUTORISE', outbox: [{ operation: 'CAPTURE', status: 'PENDING' }],
    }));
    Object.assign(sites, { paymentsToCheck: async (site: SiteId) => (site === 'dakar' ? backlog : []) });
    const { payments } = scriptedProvider();
    const report = { relayed: [] as string[], paymentProblems: [] as RecoveryReport['paymentProblems'] };
    await checkPayments({ sites, driver: driver(sites, payments), timeoutMs: 1_000, log: () => {} }, 'dakar', report);
    expect(calls.filter((c) => c.startsWith('relay'))).toEqual(['relay dakar']);
    expect(report.relayed).toEqual(backlog.map((b) => b.orderId));
    expect(report.paymentProblems).toEqual([]);
  });
});
