/**
 * The order protocol as a pure state machine, in etcd raft's shape: `step(state, event)` returns
 * the next state and the actions to perform, and does nothing else — no I/O, no clock, no
 * randomness. Whoever drives it (the real coordinator's driver, or the simulated world) performs
 * the actions, and feeds back what happened as events: replies, failures, timers.
 *
 * One machine per order, at the order level:
 *
 *   claiming → authorizing → planning → preparing → deciding → committing → done
 *                  │             ▲          │           │
 *                  │             └─ retry ──┤ aborting ◄┤ (a no vote, an unclear prepare)
 *                  │                        │           └─ fencing (the decision's answer was lost:
 *                  └──────────► finalizing ◄┘               decide(ABORT) returns what stands)
 *
 * - the intent at the client's site is claimed first (idempotency key, fingerprint, lease);
 * - the payment is authorized once for the order, keyed by the order id;
 * - each attempt is one global transaction with a gid minted outside (the `planned` event): its
 *   shares are prepared round by round (the lock plan), then the client's site commits its own
 *   work with the COMMIT decision, the intent CONFIRMED and the CAPTURE outbox row, in one local
 *   commit; then COMMIT PREPARED everywhere;
 * - a CONFLICT starts a new attempt (same order, same authorization) after a backoff;
 * - a definite failure finalizes the intent FAILED with a VOID in the outbox (guarded at the site);
 * - an outcome nobody knows (the fence itself went unanswered) voids nothing: the caller is told
 *   to retry with the same key, and recovery settles it.
 *
 * Recovery rebuilds machines in `settling` (a prepared transaction found at a site) and
 * `finalizing` (an intent whose lease expired) and steps them with the same function.
 */
import type { SiteId } from '../../sites.ts';

/**
 * The coordinator database's own branch of a global transaction (a change of the client
 * directory): prepared, committed and rolled back like a site's share.
 */
export const DIRECTORY = 'directory';
/** Whoever holds a share of a global transaction: a site, or the coordinator's directory. */
export type Participant = SiteId | typeof DIRECTORY;

/** Planted defects, for the simulation only: each brings back one fixed bug of the coordinator. */
export interface PlantedDefects {
  /** Authorize per attempt with the key `${clientId}:${key}`, and void it when an attempt fails. */
  defect1?: boolean;
  /** An unclear outcome voids the payment at the provider at once. */
  defect2?: boolean;
  /** Capture straight from the coordinator after the decision, with no outbox row. */
  defect5?: boolean;
  /** A refused round rolls back at once the shares whose vote is still out. */
  earlyRollback?: boolean;
}

export interface MachineConfig {
  maxAttempts: number;
  authorizeAttempts: number;
  /** COMMIT PREPARED retries of one share before leaving it to recovery. */
  commitRetries: number;
  /** The code a refusal becomes for the caller and the intent (identity when absent). */
  failureCode?: (voteCode: string) => string;
  defects?: PlantedDefects;
}

export interface OrderRequest {
  /**
   * `order` (the default): the whole order protocol — intent, one authorization, attempts, the
   * intent's final failure. `transaction`: the attempts alone, for a global transaction with no
   * intent and no payment of its own (a cancellation, a client's registration or move); its
   * failure is told to the caller, never recorded.
   */
  kind?: 'order' | 'transaction';
  /** Proposed by the caller (minted outside); the intent may answer with an existing one. */
  orderId: string;
  clientId: number;
  key: string | null;
  fingerprint: string;
  amount: number;
  method: string;
  clientSite: SiteId;
}

/** What the caller is told. SITE_UNAVAILABLE means "outcome pending: retry with the same key". */
export type OrderReply = { ok: true; orderId: string } | { ok: false; code: string };

export type Phase =
  | { name: 'claiming' }
  | { name: 'authorizing'; tries: number }
  | { name: 'planning' }
  | { name: 'waiting-retry' }
  | { name: 'preparing'; gid: string; rounds: readonly (readonly Participant[])[]; round: number; pending: readonly Participant[] }
  | { name: 'deciding'; gid: string }
  /** `error`: the decision site answered its local commit with an error (not silence). */
  | { name: 'fencing'; gid: string; error?: true }
  /**
   * `pending`: rollbacks sent, their answers awaited. `awaiting`: shares of the last round whose
   * vote is still out; each is rolled back once its vote comes in, never before (see abort).
   */
  | { name: 'aborting'; gid: string; pending: readonly Participant[]; awaiting: readonly Participant[]; then: AbortThen }
  | { name: 'committing'; gid: string; pending: readonly Participant[]; tries: Readonly<Record<string, number>> }
  | { name: 'finalizing'; code: string }
  | { name: 'settling'; gid: string; site: Participant; decisionSite: SiteId; old: boolean; step: 'asking' | 'fencing' | 'applying' }
  | { name: 'checking-payment'; site: SiteId }
  | { name: 'done' };

/** After the rollbacks of a failed attempt: retry, finalize with a code, or report the order confirmed. */
export type AbortThen = { retry: true } | { retry: false; code: string } | { confirmed: true };

export interface OrderState {
  readonly request: OrderRequest;
  readonly phase: Phase;
  readonly attempt: number;
  readonly reference: string | null;
  /** Every site a prepare of the current attempt was sent to: each may hold it prepared. */
  readonly sent: readonly Participant[];
  /** The caller was answered (at most once). */
  readonly replied: boolean;
  /** The request's deadline passed: no new attempt starts. */
  readonly expired: boolean;
  /** A payment check's finding, flagged once (paymentCheckState). */
  readonly problem?: PaymentProblem;
}

export type Vote = { ok: true } | { ok: false; code: string };

export type OrderEvent =
  | { type: 'start' }
  /** `refusal`: the driver found, right after the claim, that the order cannot be served: nothing is authorized. */
  | { type: 'intent'; outcome: 'NEW' | 'TAKEN_OVER'; orderId: string; refusal?: string }
  | { type: 'intent'; outcome: 'CONFIRMED' | 'KEY_REUSED' | 'PENDING'; orderId: string }
  | { type: 'intent'; outcome: 'FAILED'; orderId: string; code: string }
  | { type: 'intent-unknown' }
  | { type: 'authorized'; reference: string; status: string }
  | { type: 'declined'; code?: string }
  | { type: 'authorize-unknown' }
  | { type: 'planned'; gid: string; rounds: readonly (readonly Participant[])[] }
  | { type: 'plan-refused'; code: string }
  | { type: 'voted'; gid: string; site: Participant; vote: Vote }
  | { type: 'prepare-unknown'; gid: string; site: Participant }
  | { type: 'local-committed'; gid: string; vote: Vote }
  /** `error`: the site answered with an error rather than not at all; the outcome is fenced all the same. */
  | { type: 'local-unknown'; gid: string; error?: true }
  | { type: 'decided'; gid: string; decision: 'COMMIT' | 'ABORT' | null }
  | { type: 'decide-unknown'; gid: string }
  | { type: 'finished'; gid: string; site: Participant }
  | { type: 'finish-unknown'; gid: string; site: Participant }
  | { type: 'finalized'; status: 'FAILED' | 'CONFIRMED' }
  | { type: 'finalize-unknown' }
  | { type: 'timer'; name: 'retry' | 'authorize' | 'intent' | 'phase2' }
  | { type: 'relayed'; site: SiteId }
  | { type: 'flagged'; site: SiteId }
  | { type: 'deadline' };

export type OrderAction =
  | { type: 'claim-intent'; site: SiteId; orderId: string }
  | { type: 'authorize'; orderId: string; key: string; amount: number; method: string }
  | { type: 'plan-attempt'; attempt: number }
  | { type: 'prepare'; site: Participant; gid: string; attempt: number }
  | { type: 'commit-local'; site: SiteId; gid: string; orderId: string; reference: string | null; outbox: boolean }
  | { type: 'decide'; site: SiteId; gid: string; decision: 'ABORT' }
  | { type: 'ask-decision'; site: SiteId; gid: string }
  | { type: 'commit-prepared'; site: Participant; gid: string }
  | { type: 'rollback-prepared'; site: Participant; gid: string }
  | { type: 'finalize'; site: SiteId; orderId: string; code: string; voidPayment: boolean; reference: string | null }
  | { type: 'capture-now'; reference: string }
  | { type: 'void-now'; reference: string; orderId: string }
  | { type: 'set-timer'; name: 'retry' | 'authorize' | 'intent' | 'phase2'; attempt: number }
  /** The site's relay drives the order's unacknowledged outbox rows to the provider now. */
  | { type: 'relay-payments'; site: SiteId; orderId: string }
  /** The payment disagrees with the decided order and no outbox row will change it: for an operator. */
  | { type: 'flag-payment'; site: SiteId; orderId: string; problem: PaymentProblem }
  | { type: 'reply'; reply: OrderReply };

/**
 * What recovery reads of one order's payment at the client's site: the decision's outcome (the
 * order row exists only if the order committed), the payment row and the order's outbox rows.
 */
export interface PaymentObservation {
  orderId: string;
  site: SiteId;
  /** `commande.statut`; null: no order row (given up, or never committed). */
  order: 'CONFIRMEE' | 'ANNULEE' | null;
  /** `paiement.statut`; null: no payment row. */
  payment: 'AUTORISE' | 'CAPTURE' | 'ANNULE' | 'REMBOURSE' | null;
  /** The order's outbox rows, oldest first. */
  outbox: readonly { operation: 'CAPTURE' | 'VOID' | 'REFUND'; status: 'PENDING' | 'DONE' | 'REJECTED' }[];
}

export type PaymentProblem = 'CONFIRMED_NOT_CAPTURED' | 'CANCELLED_NOT_REFUNDED' | 'REJECTED_BY_PROVIDER';

/**
 * What an order's payment needs once its outcome is decided: nothing, the relay (an outbox row
 * still unacknowledged: the relay's work decides, so nothing is judged before it is done), or an
 * operator (the payment row disagrees with the decision and no row of the outbox will change it).
 */
export function paymentVerdict(seen: PaymentObservation): { relay: boolean; problem: PaymentProblem | null } {
  if (seen.outbox.some((row) => row.status === 'PENDING')) return { relay: true, problem: null };
  if (seen.outbox.some((row) => row.status === 'REJECTED')) return { relay: false, problem: 'REJECTED_BY_PROVIDER' };
  if (seen.order === 'CONFIRMEE' && seen.payment !== 'CAPTURE') return { relay: false, problem: 'CONFIRMED_NOT_CAPTURED' };
  if (seen.order === 'ANNULEE' && seen.payment === 'CAPTURE') return { relay: false, problem: 'CANCELLED_NOT_REFUNDED' };
  return { relay: false, problem: null };
}

export interface Step {
  state: OrderState;
  actions: OrderAction[];
}

export function newOrder(request: OrderRequest): OrderState {
  return { request, phase: { name: 'claiming' }, attempt: 0, reference: null, sent: [], replied: false, expired: false };
}

/** Recovery: a prepared transaction found at `site`, to be settled by its decision site. */
export function settleState(gid: string, site: Participant, decisionSite: SiteId, old: boolean): OrderState {
  const request: OrderRequest = { orderId: gid, clientId: 0, key: null, fingerprint: '', amount: 0, method: '', clientSite: decisionSite };
  return { request, phase: { name: 'settling', gid, site, decisionSite, old, step: 'asking' }, attempt: 0, reference: null, sent: [site], replied: true, expired: true };
}

/**
 * A global transaction with no intent and no payment of its own — a cancellation, a client's
 * registration or move — decided at `decisionSite`: the same attempts, decision, fence and
 * settlement as an order's, its failure told to the caller.
 */
export function newTransaction(id: string, decisionSite: SiteId): OrderState {
  return newOrder({ kind: 'transaction', orderId: id, clientId: 0, key: null, fingerprint: '', amount: 0, method: '', clientSite: decisionSite });
}

/** Recovery: an order's payment as its site's outbox and rows show it (see `paymentVerdict`). */
export function paymentCheckState(seen: PaymentObservation): OrderState {
  const request: OrderRequest = { orderId: seen.orderId, clientId: 0, key: null, fingerprint: '', amount: 0, method: '', clientSite: seen.site };
  const { relay, problem } = paymentVerdict(seen);
  const phase: Phase = relay || problem ? { name: 'checking-payment', site: seen.site } : { name: 'done' };
  return { request, phase, attempt: 0, reference: null, sent: [], replied: true, expired: true, ...(problem ? { problem } : {}) };
}

/** Recovery: an intent whose lease expired while PENDING (its caller is gone). */
export function abandonedState(orderId: string, site: SiteId): OrderState {
  const request: OrderRequest = { orderId, clientId: 0, key: null, fingerprint: '', amount: 0, method: '', clientSite: site };
  return { request, phase: { name: 'finalizing', code: 'SITE_UNAVAILABLE' }, attempt: 0, reference: null, sent: [], replied: true, expired: true };
}

/** The first actions of a machine built by recovery. */
export function resume(state: OrderState): OrderAction[] {
  const { phase } = state;
  if (phase.name === 'settling') return [{ type: 'ask-decision', site: phase.decisionSite, gid: phase.gid }];
  if (phase.name === 'finalizing') return [finalizeAction(state, phase.code)];
  if (phase.name === 'checking-payment') {
    const { orderId } = state.request;
    return [state.problem ? { type: 'flag-payment', site: phase.site, orderId, problem: state.problem } : { type: 'relay-payments', site: phase.site, orderId }];
  }
  return [];
}

const unchanged = (state: OrderState): Step => ({ state, actions: [] });
/** An order runs the whole protocol; a plain transaction only its attempts. */
const isOrder = (state: OrderState): boolean => state.request.kind !== 'transaction';
const gidOf = (phase: Phase): string | null => ('gid' in phase ? phase.gid : null);

function finalizeAction(state: OrderState, code: string, voidPayment = true): OrderAction {
  return { type: 'finalize', site: state.request.clientSite, orderId: state.request.orderId, code, voidPayment, reference: state.reference };
}

function reply(state: OrderState, answer: OrderReply, actions: OrderAction[]): OrderState {
  if (state.replied) return state;
  actions.push({ type: 'reply', reply: answer });
  return { ...state, replied: true };
}

function authorizeAction(state: OrderState, config: MachineConfig): OrderAction {
  const { request } = state;
  // defect 1: a key per customer request, shared by every attempt — a voided authorization comes back
  const key = config.defects?.defect1 && request.key !== null ? `${request.clientId}:${request.key}` : request.orderId;
  return { type: 'authorize', orderId: request.orderId, key, amount: request.amount, method: request.method };
}

/** Starts the next attempt, or gives up when none may start. */
function nextAttempt(state: OrderState, config: MachineConfig, actions: OrderAction[], lastCode: string): Step {
  if (state.attempt >= config.maxAttempts || state.expired) return finalize(state, lastCode, actions);
  const attempt = state.attempt + 1;
  actions.push({ type: 'plan-attempt', attempt });
  return { state: { ...state, attempt, sent: [], phase: { name: 'planning' } }, actions };
}

/** The final failure; `voidPayment` false only when no authorization can exist. */
function finalize(state: OrderState, code: string, actions: OrderAction[], voidPayment = true): Step {
  if (!isOrder(state)) {
    // no intent to record the failure in, no payment to void: the caller hears it
    const s = reply(state, { ok: false, code }, actions);
    return { state: { ...s, phase: { name: 'done' } }, actions };
  }
  actions.push(finalizeAction(state, code, voidPayment));
  return { state: { ...state, phase: { name: 'finalizing', code } }, actions };
}

function startRound(state: OrderState, gid: string, rounds: readonly (readonly Participant[])[], round: number, actions: OrderAction[], config: MachineConfig): Step {
  if (round >= rounds.length) {
    const { request } = state;
    actions.push({ type: 'commit-local', site: request.clientSite, gid, orderId: request.orderId, reference: state.reference, outbox: isOrder(state) && !config.defects?.defect5 });
    return { state: { ...state, phase: { name: 'deciding', gid } }, actions };
  }
  const sites = rounds[round]!;
  for (const site of sites) actions.push({ type: 'prepare', site, gid, attempt: state.attempt });
  const sent = [...state.sent, ...sites.filter((s) => !state.sent.includes(s))];
  return { state: { ...state, sent, phase: { name: 'preparing', gid, rounds, round, pending: sites } }, actions };
}

/**
 * Rolls back the attempt's shares. A share whose vote is still out (`awaiting`) is rolled back
 * once its vote comes in, not now: a ROLLBACK PREPARED that reaches a site before its PREPARE
 * finds nothing (or finds the PREPARE still waiting for its standby: "busy"), and the PREPARE that
 * follows leaves the share prepared with no one to end it but recovery's in-doubt timeout, its
 * rows locked against every order until then.
 */
function abort(state: OrderState, gid: string, then: AbortThen, actions: OrderAction[], config: MachineConfig, awaiting: readonly Participant[] = []): Step {
  if (config.defects?.defect1 && 'retry' in then && state.reference !== null) {
    // defect 1: the failed attempt voids "its" authorization, which is the order's only one
    actions.push({ type: 'void-now', reference: state.reference, orderId: state.request.orderId });
  }
  const now = state.sent.filter((site) => !awaiting.includes(site));
  for (const site of now) actions.push({ type: 'rollback-prepared', site, gid });
  const next: OrderState = { ...state, phase: { name: 'aborting', gid, pending: now, awaiting, then } };
  return now.length === 0 && awaiting.length === 0 ? afterAbort(next, then, actions, config) : { state: next, actions };
}

function afterAbort(state: OrderState, then: AbortThen, actions: OrderAction[], config: MachineConfig): Step {
  if ('confirmed' in then) {
    const s = reply(state, { ok: true, orderId: state.request.orderId }, actions);
    return { state: { ...s, phase: { name: 'done' } }, actions };
  }
  if (then.retry) {
    if (state.attempt >= config.maxAttempts || state.expired) return finalize(state, 'CONFLICT', actions);
    actions.push({ type: 'set-timer', name: 'retry', attempt: state.attempt });
    return { state: { ...state, phase: { name: 'waiting-retry' } }, actions };
  }
  return finalize(state, then.code, actions);
}

function commit(state: OrderState, gid: string, actions: OrderAction[], config: MachineConfig): Step {
  let s = reply(state, { ok: true, orderId: state.request.orderId }, actions);
  if (config.defects?.defect5 && state.reference !== null) actions.push({ type: 'capture-now', reference: state.reference });
  for (const site of state.sent) actions.push({ type: 'commit-prepared', site, gid });
  s = { ...s, phase: { name: 'committing', gid, pending: state.sent, tries: {} } };
  return s.sent.length === 0 ? { state: { ...s, phase: { name: 'done' } }, actions } : { state: s, actions };
}

/** A refusal of the decision site's commit, as what to do after the rollbacks. */
function thenOf(state: OrderState, code: string, config: MachineConfig): AbortThen {
  if (code === 'CONFLICT') return { retry: true };
  if (!isOrder(state)) return { retry: false, code };
  // the order committed through an earlier attempt whose answer was lost
  if (code === 'DUPLICATE') return { confirmed: true };
  return { retry: false, code: config.failureCode ? config.failureCode(code) : code };
}

export function step(state: OrderState, event: OrderEvent, config: MachineConfig): Step {
  const actions: OrderAction[] = [];
  const { phase, request } = state;
  if (event.type === 'deadline') return { state: { ...state, expired: true }, actions };
  // a reply about another attempt's gid (late, duplicated) changes nothing
  if (event.type !== 'planned' && 'gid' in event && event.gid !== gidOf(phase)) return unchanged(state);

  switch (phase.name) {
    case 'claiming': {
      if (event.type === 'start' && !isOrder(state)) return nextAttempt(state, config, actions, 'CONFLICT');
      if (event.type === 'start') {
        actions.push({ type: 'claim-intent', site: request.clientSite, orderId: request.orderId });
        return { state, actions };
      }
      if (event.type === 'intent-unknown') {
        // the intent may be recorded: its lease expires, and recovery finalizes it
        const s = reply(state, { ok: false, code: 'SITE_UNAVAILABLE' }, actions);
        return { state: { ...s, phase: { name: 'done' } }, actions };
      }
      if (event.type === 'timer' && event.name === 'intent') {
        if (state.expired) {
          const s = reply(state, { ok: false, code: 'SITE_UNAVAILABLE' }, actions);
          return { state: { ...s, phase: { name: 'done' } }, actions };
        }
        actions.push({ type: 'claim-intent', site: request.clientSite, orderId: request.orderId });
        return { state, actions };
      }
      if (event.type !== 'intent') return unchanged(state);
      const withId: OrderState = { ...state, request: { ...request, orderId: event.orderId } };
      switch (event.outcome) {
        case 'NEW':
        case 'TAKEN_OVER':
          if (event.refusal !== undefined) return finalize(withId, event.refusal, actions, false);
          actions.push(authorizeAction(withId, config));
          return { state: { ...withId, phase: { name: 'authorizing', tries: 1 } }, actions };
        case 'CONFIRMED': {
          const s = reply(withId, { ok: true, orderId: event.orderId }, actions);
          return { state: { ...s, phase: { name: 'done' } }, actions };
        }
        case 'FAILED': {
          const s = reply(withId, { ok: false, code: event.code }, actions);
          return { state: { ...s, phase: { name: 'done' } }, actions };
        }
        case 'KEY_REUSED': {
          const s = reply(state, { ok: false, code: 'IDEMPOTENCY_KEY_REUSED' }, actions);
          return { state: { ...s, phase: { name: 'done' } }, actions };
        }
        case 'PENDING':
          // another caller drives this order: ask again later, within the deadline
          actions.push({ type: 'set-timer', name: 'intent', attempt: 0 });
          return { state, actions };
      }
      return unchanged(state);
    }

    case 'authorizing': {
      if (event.type === 'authorized') {
        if (event.status !== 'AUTHORIZED' && !config.defects?.defect1) {
          // never build an order on an authorization voided or captured already
          return finalize({ ...state, reference: event.reference }, 'PAYMENT_DECLINED', actions, false);
        }
        return nextAttempt({ ...state, reference: event.reference }, config, actions, 'CONFLICT');
      }
      if (event.type === 'declined') return finalize(state, event.code ?? 'PAYMENT_DECLINED', actions, false);
      if (event.type === 'authorize-unknown') {
        if (phase.tries >= config.authorizeAttempts || state.expired) return finalize(state, 'PAYMENT_UNAVAILABLE', actions);
        actions.push({ type: 'set-timer', name: 'authorize', attempt: phase.tries });
        return { state, actions };
      }
      if (event.type === 'timer' && event.name === 'authorize') {
        actions.push(authorizeAction(state, config));
        return { state: { ...state, phase: { name: 'authorizing', tries: phase.tries + 1 } }, actions };
      }
      return unchanged(state);
    }

    case 'waiting-retry': {
      if (event.type !== 'timer' || event.name !== 'retry') return unchanged(state);
      if (config.defects?.defect1) {
        // defect 1: authorize again for the new attempt
        actions.push(authorizeAction(state, config));
        return { state: { ...state, phase: { name: 'authorizing', tries: 1 } }, actions };
      }
      return nextAttempt(state, config, actions, 'CONFLICT');
    }

    case 'planning': {
      if (event.type === 'planned') return startRound(state, event.gid, event.rounds, 0, actions, config);
      if (event.type === 'plan-refused') return finalize(state, event.code, actions);
      return unchanged(state);
    }

    case 'preparing': {
      if (event.type === 'voted' || event.type === 'prepare-unknown') {
        if (!phase.pending.includes(event.site)) return unchanged(state);
        // the round's other votes are still out: their shares are rolled back as each comes in
        const awaiting = config.defects?.earlyRollback ? [] : phase.pending.filter((s) => s !== event.site);
        // an unanswered prepare may hide a yes: it is rolled back now
        if (event.type === 'prepare-unknown') return abort(state, phase.gid, { retry: false, code: 'SITE_UNAVAILABLE' }, actions, config, awaiting);
        if (!event.vote.ok) return abort(state, phase.gid, thenOf(state, event.vote.code, config), actions, config, awaiting);
        const pending = phase.pending.filter((s) => s !== event.site);
        if (pending.length > 0) return { state: { ...state, phase: { ...phase, pending } }, actions };
        return startRound(state, phase.gid, phase.rounds, phase.round + 1, actions, config);
      }
      return unchanged(state);
    }

    case 'deciding': {
      if (event.type === 'local-committed') {
        if (event.vote.ok) return commit(state, phase.gid, actions, config);
        return abort(state, phase.gid, thenOf(state, event.vote.code, config), actions, config);
      }
      if (event.type === 'local-unknown') {
        // the decision site may or may not have committed: fence the outcome with ABORT
        actions.push({ type: 'decide', site: request.clientSite, gid: phase.gid, decision: 'ABORT' });
        return { state: { ...state, phase: { name: 'fencing', gid: phase.gid, ...(event.error ? { error: true as const } : {}) } }, actions };
      }
      return unchanged(state);
    }

    case 'fencing': {
      if (event.type === 'decided') {
        if (event.decision === 'COMMIT') return commit(state, phase.gid, actions, config);
        // ABORT stands: a site that failed to apply the work is an internal error, not an absence
        return abort(state, phase.gid, phase.error ? thenOf(state, 'INTERNAL', config) : { retry: false, code: 'SITE_UNAVAILABLE' }, actions, config);
      }
      if (event.type === 'decide-unknown') {
        // nobody knows the outcome yet: void nothing; recovery settles the attempt, then the intent
        if (config.defects?.defect2 && state.reference !== null) actions.push({ type: 'void-now', reference: state.reference, orderId: request.orderId });
        const s = reply(state, { ok: false, code: 'SITE_UNAVAILABLE' }, actions);
        return { state: { ...s, phase: { name: 'done' } }, actions };
      }
      return unchanged(state);
    }

    case 'aborting': {
      let { pending, awaiting } = phase;
      if ((event.type === 'voted' || event.type === 'prepare-unknown') && awaiting.includes(event.site)) {
        awaiting = awaiting.filter((s) => s !== event.site);
        // its PREPARE is over (or its answer lost, which may hide a yes): rolled back now, as the
        // round's other shares were
        actions.push({ type: 'rollback-prepared', site: event.site, gid: phase.gid });
        pending = [...pending, event.site];
      } else if ((event.type === 'finished' || event.type === 'finish-unknown') && pending.includes(event.site)) {
        // an unanswered rollback is left to recovery (presumed abort): no need to wait for it
        pending = pending.filter((s) => s !== event.site);
      } else return unchanged(state);
      if (pending.length > 0 || awaiting.length > 0) return { state: { ...state, phase: { ...phase, pending, awaiting } }, actions };
      return afterAbort(state, phase.then, actions, config);
    }

    case 'committing': {
      if (event.type === 'finished') {
        const pending = phase.pending.filter((s) => s !== event.site);
        return { state: { ...state, phase: pending.length === 0 ? { name: 'done' } : { ...phase, pending } }, actions };
      }
      if (event.type === 'finish-unknown') {
        const tries = (phase.tries[event.site] ?? 0) + 1;
        if (tries > config.commitRetries) {
          // left to recovery, which reads the COMMIT at the decision site
          const pending = phase.pending.filter((s) => s !== event.site);
          return { state: { ...state, phase: pending.length === 0 ? { name: 'done' } : { ...phase, pending } }, actions };
        }
        actions.push({ type: 'commit-prepared', site: event.site, gid: phase.gid });
        return { state: { ...state, phase: { ...phase, tries: { ...phase.tries, [event.site]: tries } } }, actions };
      }
      return unchanged(state);
    }

    case 'finalizing': {
      if (event.type === 'finalized') {
        const answer: OrderReply = event.status === 'CONFIRMED' ? { ok: true, orderId: request.orderId } : { ok: false, code: phase.code };
        const s = reply(state, answer, actions);
        return { state: { ...s, phase: { name: 'done' } }, actions };
      }
      if (event.type === 'finalize-unknown') {
        // the intent stays PENDING: a retry with the same key may still take it over and commit,
        // so the failure is not final yet — the caller is told the outcome is pending
        const s = reply(state, { ok: false, code: 'SITE_UNAVAILABLE' }, actions);
        return { state: { ...s, phase: { name: 'done' } }, actions };
      }
      return unchanged(state);
    }

    case 'settling': {
      const done: Step = { state: { ...state, phase: { name: 'done' } }, actions };
      if (phase.step === 'asking' || phase.step === 'fencing') {
        if (event.type === 'decide-unknown') return done; // asked again at the next pass
        if (event.type !== 'decided') return unchanged(state);
        let decision = event.decision;
        if (decision === null) {
          // undecided: fence with ABORT only once presumed dead, else leave it to its coordinator
          if (!phase.old || phase.step === 'fencing') return done;
          actions.push({ type: 'decide', site: phase.decisionSite, gid: phase.gid, decision: 'ABORT' });
          return { state: { ...state, phase: { ...phase, step: 'fencing' } }, actions };
        }
        actions.push({ type: decision === 'COMMIT' ? 'commit-prepared' : 'rollback-prepared', site: phase.site, gid: phase.gid });
        return { state: { ...state, phase: { ...phase, step: 'applying' } }, actions };
      }
      if (event.type === 'finished' || event.type === 'finish-unknown') return done;
      return unchanged(state);
    }

    case 'checking-payment':
      if ((event.type === 'relayed' || event.type === 'flagged') && event.site === phase.site) return { state: { ...state, phase: { name: 'done' } }, actions };
      return unchanged(state);

    case 'done':
      return unchanged(state);
  }
}

/** Whether the machine waits for nothing more. */
export const isDone = (state: OrderState): boolean => state.phase.name === 'done';

/** One line per action, stable across runs: the unit of the golden traces. */
export function describeAction(action: OrderAction): string {
  const { type, ...rest } = action;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [type, ...fields].join(' ');
}

export function describeEvent(event: OrderEvent): string {
  const { type, ...rest } = event;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [type, ...fields].join(' ');
}
