/**
 * The thin driver of the order machine (lib/twopc/machine/order-machine.ts), the one
 * implementation of the two-phase commit: it performs the machine's actions over the real
 * clients — the sites' participant API, the coordinator's directory branch, the payment
 * provider — with deadlines, turns each answer, error or timeout into the machine's next event,
 * and owns the timers. Orders, cancellations, registrations and moves all run through it, and so
 * does recovery (settling a share, giving up an intent, checking a payment). Everything the
 * protocol decides is in the machine; what is here is I/O, clocks, randomness (backoff jitter)
 * and the rendering of details (messages, products) for the caller.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deadline } from '../../../lib/deadline.ts';
import { PaymentUnavailableError, type PaymentProvider } from '../../../lib/payments/client.ts';
import type { SiteId } from '../../../lib/sites.ts';
import type { ParticipantVote, ParticipantWork, PaymentMethod } from '../../../lib/twopc/work.ts';
import {
  abandonedState, DIRECTORY, isDone, newOrder, newTransaction, paymentCheckState, resume, settleState, step,
  type MachineConfig, type OrderAction, type OrderEvent, type OrderReply, type OrderRequest, type OrderState,
  type Participant, type PaymentObservation, type PaymentProblem,
} from '../../../lib/twopc/machine/order-machine.ts';
import type { DirectoryBranches, DirectoryShare } from '../directory.ts';
import type { Faults } from '../faults.ts';
import { recordStep } from '../../../lib/service/request-context.ts';
import { timed } from '../metrics.ts';
import { FENCE_TIMEOUT_MS, SiteUnavailableError, type SiteClient } from '../site-client.ts';

/** Why an order is refused, with what the caller is shown. */
export interface Refusal {
  code: string;
  message: string;
  productId: number | null;
  available: number | null;
}

/** One attempt, planned by the order flow (reads, allocation, lock plan): what each site runs. */
export interface AttemptPlan {
  gid: string;
  /** Who prepares, round by round: sites, and `directory` for a change of the client directory. */
  rounds: readonly (readonly Participant[])[];
  /** The work a site prepares (the decision site's too, when the lock plan prepares its stock apart). */
  shareOf(site: SiteId): ParticipantWork;
  /** The decision site's local commit, with the decision. */
  decisionWork: ParticipantWork;
  /** The directory's branch, when a round names `directory`. */
  directory?: DirectoryShare;
}

export interface OrderPlanner {
  /** Right after the claim: a refusal when the order cannot be served at all (nothing is authorized then). */
  feasible(): Refusal | null;
  /** `reference`: the order's authorization (null for a transaction without payment). */
  plan(attempt: number, orderId: string, reference: string | null): Promise<AttemptPlan | Refusal>;
  /** Told at once of each attempt a participant refused with CONFLICT (live counters). */
  conflicted?(): void;
}

/** A global transaction without intent or payment: its attempts only. */
export interface TransactionPlanner {
  plan(attempt: number): Promise<AttemptPlan | Refusal>;
}

export interface DriverDeps {
  sites: SiteClient;
  /** The coordinator database's prepared branches (directory changes), finished like a site's shares. */
  directory: DirectoryBranches;
  payments: PaymentProvider;
  faults: Faults;
  config: MachineConfig;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Kept between an intent's lease and its caller's deadline. */
  leaseMarginMs: number;
  /** Below this remaining budget no call starts that needs one. */
  minAttemptMs: number;
  /** Who claims the intents: this coordinator and the run of its process (lib/twopc/intent.ts leaseHolder). */
  holder: string;
}

export interface DriverResult {
  reply: OrderReply;
  orderId: string;
  /** The details of the refusal the reply reports, when the driver saw one. */
  refusal: Refusal | null;
  conflicts: number;
}

export interface OrderPayment {
  clientId: number;
  key: string | null;
  fingerprint: string;
  amount: number;
  method: PaymentMethod;
}

/** Full jitter: concurrent losers of one conflict spread out instead of colliding again. */
const retryBackoffMs = (attempt: number) => Math.random() * 20 * 2 ** attempt;

export class OrderDriver {
  constructor(private readonly deps: DriverDeps) {}

  /** Runs one order's machine from its start to done; resolves with what the caller is told. */
  placeOrder(request: OrderRequest & { method: PaymentMethod }, planner: OrderPlanner, deadline: Deadline): Promise<DriverResult> {
    return this.drive(newOrder(request), { request, planner, deadline });
  }

  /**
   * Runs a cancellation, registration or move — one global transaction decided at `decisionSite`,
   * retried on CONFLICT — through the same machine as orders.
   */
  transact(id: string, decisionSite: SiteId, planner: TransactionPlanner, deadline: Deadline): Promise<DriverResult> {
    const asOrder: OrderPlanner = { feasible: () => null, plan: (attempt) => planner.plan(attempt) };
    const request = { orderId: id, clientId: 0, key: null, fingerprint: '', amount: 0, method: 'CASH_ON_DELIVERY' as const, clientSite: decisionSite };
    return this.drive(newTransaction(id, decisionSite), { request, planner: asOrder, deadline });
  }

  /**
   * Recovery: an order's payment as its site shows it — the relay is run now for rows still
   * unacknowledged (by `relay`: recovery runs one relay pass per site for all of its rows), a
   * disagreement no row will fix is flagged. Resolves with what was done.
   */
  async checkPayment(seen: PaymentObservation, relay?: (site: SiteId) => Promise<number>): Promise<{ relayed: boolean; problem: PaymentProblem | null }> {
    const outcome = { relayed: false, problem: null as PaymentProblem | null };
    await this.drive(paymentCheckState(seen), null, (action) => {
      if (action.type === 'relay-payments') outcome.relayed = true;
      if (action.type === 'flag-payment') outcome.problem = action.problem;
    }, null, relay);
    return outcome;
  }

  /** Recovery: settles a share prepared at `site` (or the directory's) with its decision site, by the same machine. */
  async settle(gid: string, site: Participant, decisionSite: SiteId, old: boolean): Promise<'COMMIT' | 'ABORT' | null> {
    let applied: 'COMMIT' | 'ABORT' | null = null;
    await this.drive(settleState(gid, site, decisionSite, old), null, (action, event) => {
      if (event?.type === 'finished') applied = action.type === 'commit-prepared' ? 'COMMIT' : 'ABORT';
    });
    return applied;
  }

  /** Recovery: an intent whose lease expired while PENDING, finalized FAILED (with a VOID) unless it committed. */
  async abandon(orderId: string, site: SiteId, message: string): Promise<'FAILED' | 'CONFIRMED' | null> {
    let status: 'FAILED' | 'CONFIRMED' | null = null;
    const refusal: Refusal = { code: 'SITE_UNAVAILABLE', message, productId: null, available: null };
    await this.drive(abandonedState(orderId, site), null, (_action, event) => {
      if (event?.type === 'finalized') status = event.status;
    }, refusal);
    return status;
  }

  private drive(
    initial: OrderState,
    order: { request: OrderRequest & { method: PaymentMethod }; planner: OrderPlanner; deadline: Deadline } | null,
    observe?: (action: OrderAction, event: OrderEvent | null) => void,
    initialRefusal: Refusal | null = null,
    relay: (site: SiteId) => Promise<number> = (site) => this.deps.sites.relayPayments(site),
  ): Promise<DriverResult> {
    const { config } = this.deps;
    return new Promise<DriverResult>((resolve, reject) => {
      let state = initial;
      let inflight = 0;
      let reply: OrderReply | null = null;
      let refusal: Refusal | null = initialRefusal;
      let conflicts = 0;
      let yes = 0;
      let commitsDone = 0;
      let over = false;
      const plans = new Map<string, AttemptPlan>();
      const commitTries = new Map<string, number>();
      const wait = { ms: 100 };
      // no attempt starts with less than minAttemptMs left: the machine hears of the deadline then
      const deadlineTimer = order ? setTimeout(() => feed({ type: 'deadline' }), Math.max(0, order.deadline.remainingMs() - this.deps.minAttemptMs)) : null;
      deadlineTimer?.unref();

      const finish = () => {
        if (over || !isDone(state) || inflight > 0) return;
        over = true;
        if (deadlineTimer) clearTimeout(deadlineTimer);
        resolve({ reply: reply ?? { ok: false, code: 'INTERNAL_SERVER_ERROR' }, orderId: state.request.orderId, refusal, conflicts });
      };
      const crash = (error: unknown) => {
        if (over) return;
        over = true;
        if (deadlineTimer) clearTimeout(deadlineTimer);
        reject(error);
      };
      const feed = (event: OrderEvent) => {
        if (over) return;
        if ((event.type === 'voted' || event.type === 'local-committed') && !event.vote.ok && event.vote.code === 'CONFLICT') {
          conflicts++;
          order?.planner.conflicted?.();
        }
        const next = step(state, event, config);
        state = next.state;
        for (const action of next.actions) launch(action);
        finish();
      };
      const launch = (action: OrderAction) => {
        if (action.type === 'reply') {
          reply = action.reply;
          return;
        }
        inflight++;
        const started = performance.now();
        this.perform(action, state, order, plans, commitTries, {
          onYes: () => this.deps.faults.reached('after-prepare', ++yes),
          onCommitted: () => {
            // crash points belong to an order's own run, never to recovery's
            if (order && ++commitsDone === 1) this.deps.faults.reached('between-commits');
          },
          onRefusal: (r) => {
            refusal = r;
          },
          refusal: () => refusal,
          wait,
          relay,
        }).then(
          (event) => {
            inflight--;
            // the request's log line shows each call of the order (bench's breakdown reads them)
            if (order) recordStep(action.type, performance.now() - started);
            observe?.(action, event);
            if (event) feed(event);
            else finish();
          },
          (error: unknown) => {
            inflight--;
            crash(error);
          },
        );
      };
      for (const action of resume(state)) launch(action);
      if (initial.phase.name === 'claiming') feed({ type: 'start' });
      finish();
    });
  }

  /** Performs one action; resolves with the event it produced (null: nothing to tell the machine). */
  private async perform(
    action: OrderAction,
    state: OrderState,
    order: { request: OrderRequest & { method: PaymentMethod }; planner: OrderPlanner; deadline: Deadline } | null,
    plans: Map<string, AttemptPlan>,
    commitTries: Map<string, number>,
    hooks: { onYes(): void; onCommitted(): void; onRefusal(r: Refusal): void; refusal(): Refusal | null; wait: { ms: number }; relay(site: SiteId): Promise<number> },
  ): Promise<OrderEvent | null> {
    const { sites, payments, log } = this.deps;
    switch (action.type) {
      case 'claim-intent': {
        const { request, deadline, planner } = order!;
        // the lease outlives this call's deadline: nobody takes the order over while it may still commit
        const leaseMs = Math.max(1, Math.ceil(deadline.remainingMs() + this.deps.leaseMarginMs));
        try {
          const answer = await sites.beginOrder(action.site, {
            orderId: action.orderId, clientId: request.clientId, key: request.key, fingerprint: request.fingerprint,
            amount: request.amount, method: request.method, leaseMs, holder: this.deps.holder,
          }, FENCE_TIMEOUT_MS);
          switch (answer.outcome) {
            case 'NEW':
            case 'TAKEN_OVER': {
              const refused = planner.feasible();
              if (refused) hooks.onRefusal(refused);
              return refused ? { type: 'intent', outcome: answer.outcome, orderId: answer.orderId, refusal: refused.code } : { type: 'intent', outcome: answer.outcome, orderId: answer.orderId };
            }
            case 'FAILED':
              hooks.onRefusal({ code: answer.code, message: answer.message, productId: null, available: null });
              return { type: 'intent', outcome: 'FAILED', orderId: answer.orderId, code: answer.code };
            case 'PENDING':
              hooks.wait.ms = Math.min(100, answer.leaseRemainingMs, deadline.remainingMs());
              return { type: 'intent', outcome: 'PENDING', orderId: answer.orderId };
            default:
              return { type: 'intent', outcome: answer.outcome, orderId: answer.orderId };
          }
        } catch (error) {
          if (error instanceof SiteUnavailableError) return { type: 'intent-unknown' };
          throw error;
        }
      }
      case 'authorize': {
        const { deadline } = order!;
        if (deadline.remainingMs() < this.deps.minAttemptMs) return { type: 'authorize-unknown' };
        try {
          const answer = await payments.authorize(
            { orderId: action.orderId, amount: action.amount, method: order!.request.method, idempotencyKey: action.key },
            deadline.remainingMs() - this.deps.minAttemptMs / 2,
          );
          if (answer.approved) return { type: 'authorized', reference: answer.payment.reference, status: answer.payment.status };
          const code = answer.code === 'PAYMENT_DECLINED' ? 'PAYMENT_DECLINED' : 'CONFLICT';
          hooks.onRefusal({ code, message: answer.reason, productId: null, available: null });
          return { type: 'declined', code };
        } catch (error) {
          if (!(error instanceof PaymentUnavailableError)) throw error;
          hooks.onRefusal({ code: 'PAYMENT_UNAVAILABLE', message: `${error.message}; nothing was charged`, productId: null, available: null });
          return { type: 'authorize-unknown' };
        }
      }
      case 'plan-attempt': {
        try {
          const planned = await order!.planner.plan(action.attempt, state.request.orderId, state.reference!);
          if ('gid' in planned) {
            plans.set(planned.gid, planned);
            return { type: 'planned', gid: planned.gid, rounds: planned.rounds };
          }
          hooks.onRefusal(planned);
          return { type: 'plan-refused', code: planned.code };
        } catch (error) {
          if (!(error instanceof SiteUnavailableError)) throw error;
          hooks.onRefusal({ code: 'SITE_UNAVAILABLE', message: error.message, productId: null, available: null });
          return { type: 'plan-refused', code: 'SITE_UNAVAILABLE' };
        }
      }
      case 'prepare': {
        const plan = plans.get(action.gid)!;
        if (action.site === DIRECTORY) return this.prepareDirectory(action.gid, plan, hooks.onRefusal);
        const site = action.site;
        try {
          const vote = await timed('prepare', () => sites.prepare(site, plan.shareOf(site)));
          if (vote.ok) hooks.onYes();
          else hooks.onRefusal(refusalOf(vote));
          return { type: 'voted', gid: action.gid, site: action.site, vote: vote.ok ? { ok: true } : { ok: false, code: vote.code ?? 'CONFLICT' } };
        } catch (error) {
          if (error instanceof SiteUnavailableError) {
            hooks.onRefusal({ code: 'SITE_UNAVAILABLE', message: `Site ${action.site} is unavailable`, productId: null, available: null });
            return { type: 'prepare-unknown', gid: action.gid, site: action.site };
          }
          // an error that is not a vote (a bug, a constraint the work broke) is not a conflict
          hooks.onRefusal({ code: 'INTERNAL', message: (error as Error).message, productId: null, available: null });
          return { type: 'voted', gid: action.gid, site: action.site, vote: { ok: false, code: 'INTERNAL' } };
        }
      }
      case 'commit-local': {
        const plan = plans.get(action.gid)!;
        try {
          const vote = await timed('decision', () => sites.commitLocal(action.site, plan.decisionWork));
          if (vote.ok) {
            if (plan.rounds.some((round) => round.length > 0)) this.deps.faults.reached('after-decision');
          } else hooks.onRefusal(refusalOf(vote));
          return { type: 'local-committed', gid: action.gid, vote: vote.ok ? { ok: true } : { ok: false, code: vote.code ?? 'CONFLICT' } };
        } catch (error) {
          // the decision site may or may not have committed — a one-site order too: the machine fences
          log('decision unclear: fencing it', { gid: action.gid, error: (error as Error).message });
          if (error instanceof SiteUnavailableError) return { type: 'local-unknown', gid: action.gid };
          hooks.onRefusal({ code: 'INTERNAL', message: (error as Error).message, productId: null, available: null });
          return { type: 'local-unknown', gid: action.gid, error: true };
        }
      }
      case 'decide':
        try {
          return { type: 'decided', gid: action.gid, decision: await sites.decide(action.site, action.gid, action.decision) };
        } catch {
          hooks.onRefusal({ code: 'SITE_UNAVAILABLE', message: `Site ${action.site} did not answer; the order's outcome will be settled by recovery (retry with the same idempotency key)`, productId: null, available: null });
          log('decision site unreachable: outcome left to recovery', { gid: action.gid, site: action.site });
          return { type: 'decide-unknown', gid: action.gid };
        }
      case 'ask-decision':
        try {
          return { type: 'decided', gid: action.gid, decision: await sites.decision(action.site, action.gid) };
        } catch {
          return { type: 'decide-unknown', gid: action.gid };
        }
      case 'commit-prepared': {
        const key = `${action.gid}@${action.site}`;
        const tries = commitTries.get(key) ?? 0;
        commitTries.set(key, tries + 1);
        if (tries > 0) await sleep(50 * 2 ** (tries - 1));
        try {
          await timed('commit', () => this.finishShare(action.site, action.gid, 'COMMIT'));
          hooks.onCommitted();
          return { type: 'finished', gid: action.gid, site: action.site };
        } catch (error) {
          log('COMMIT PREPARED failed', { gid: action.gid, site: action.site, error: (error as Error).message });
          return { type: 'finish-unknown', gid: action.gid, site: action.site };
        }
      }
      case 'rollback-prepared':
        try {
          await this.finishShare(action.site, action.gid, 'ROLLBACK');
          return { type: 'finished', gid: action.gid, site: action.site };
        } catch (error) {
          log('ROLLBACK PREPARED left to recovery', { gid: action.gid, site: action.site, error: (error as Error).message });
          return { type: 'finish-unknown', gid: action.gid, site: action.site };
        }
      case 'finalize':
        try {
          const status = await sites.finalizeOrder(action.site, {
            orderId: action.orderId, code: action.code, message: messageOf(action.code, hooks.refusal()), voidPayment: action.voidPayment, reference: action.reference,
          });
          return status === 'UNKNOWN' ? { type: 'finalize-unknown' } : { type: 'finalized', status };
        } catch {
          // the intent stays PENDING: once its lease expires, recovery finalizes it the same way
          return { type: 'finalize-unknown' };
        }
      case 'set-timer': {
        const ms = action.name === 'retry' ? retryBackoffMs(action.attempt)
          : action.name === 'intent' ? hooks.wait.ms
            : action.name === 'authorize' ? 50 * 2 ** action.attempt : 50;
        const left = order ? order.deadline.remainingMs() : ms;
        await sleep(Math.max(0, Math.min(ms, left)));
        return { type: 'timer', name: action.name };
      }
      case 'relay-payments':
        try {
          const done = await hooks.relay(action.site);
          log('recovery: ran the payment relay for an unacknowledged outbox row', { orderId: action.orderId, site: action.site, done });
        } catch (error) {
          // the site's relay keeps polling on its own: the next pass asks again
          log('recovery: payment relay unreachable', { orderId: action.orderId, site: action.site, error: (error as Error).message });
        }
        return { type: 'relayed', site: action.site };
      case 'flag-payment':
        log('recovery: payment disagrees with the decided order', { orderId: action.orderId, site: action.site, problem: action.problem });
        return { type: 'flagged', site: action.site };
      case 'capture-now':
      case 'void-now':
        // only a planted defect of the simulation asks for these
        return null;
      case 'reply':
        return null;
    }
  }

  /** COMMIT / ROLLBACK PREPARED of a share: at its site, or in the coordinator's own database. */
  private finishShare(participant: Participant, gid: string, verb: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (participant === DIRECTORY) return verb === 'COMMIT' ? this.deps.directory.commitPrepared(gid) : this.deps.directory.rollbackPrepared(gid);
    return verb === 'COMMIT' ? this.deps.sites.commitPrepared(participant, gid) : this.deps.sites.rollbackPrepared(participant, gid);
  }

  /** The directory's branch votes like a site: its unique email constraint is a refusal, anything else internal. */
  private async prepareDirectory(gid: string, plan: AttemptPlan, onRefusal: (r: Refusal) => void): Promise<OrderEvent> {
    try {
      await timed('prepare', () => plan.directory!.prepare(gid));
      return { type: 'voted', gid, site: DIRECTORY, vote: { ok: true } };
    } catch (error) {
      const code = (error as { code?: string }).code === '23505' ? 'DUPLICATE_EMAIL' : 'INTERNAL';
      onRefusal({ code, message: (error as Error).message, productId: null, available: null });
      return { type: 'voted', gid, site: DIRECTORY, vote: { ok: false, code } };
    }
  }

}

/** The refusal's own message when it is the one reported, else the code's. */
function messageOf(code: string, refusal: Refusal | null): string {
  if (refusal && refusal.code === code) return refusal.message;
  return FINAL_MESSAGES[code] ?? 'The order could not be committed; nothing was charged';
}

/** The messages an intent records with its final failure (a replay with the same key shows them). */
const FINAL_MESSAGES: Readonly<Record<string, string>> = {
  OUT_OF_STOCK: 'Out of stock; nothing was charged',
  CONFLICT: 'Concurrent orders conflicted; nothing was charged, retry',
  PAYMENT_DECLINED: 'The payment was declined',
  PAYMENT_UNAVAILABLE: 'The payment provider did not answer in time; nothing was charged',
  SITE_UNAVAILABLE: 'A site did not answer; nothing was charged',
  INTERNAL_SERVER_ERROR: 'A site failed to apply the order; nothing was changed',
};

function refusalOf(vote: ParticipantVote): Refusal {
  return {
    code: vote.code ?? 'CONFLICT',
    message: vote.message ?? 'Refused',
    productId: vote.productId === null ? null : Number(vote.productId),
    available: vote.available,
  };
}
