/**
 * The cross-site mutations: placing and cancelling orders, registering and moving clients.
 * Each validates its input, reads what it needs (prices, stock, the client's site), plans the
 * work of every site, then runs it as one global transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CoordinatorDatabase } from '../../lib/db/tables.ts';
import { TerangaError } from '../../lib/errors.ts';
import { placement, warehouseOrderFrom } from '../../lib/placement.ts';
import { SITE_IDS, SITES, siteByCode, type SiteId } from '../../lib/sites.ts';
import { ClientExportSchema, exportHash, makeGid, type ParticipantVote, type ParticipantWork, type PaymentMethod } from '../../lib/twopc/work.ts';
import { allocate, type Demand } from './allocation.ts';
import type { ConcurrencyStrategy } from './concurrency-control.ts';
import { awaitDirectoryCopies, directoryParticipant, emailTaken, nextClientId, sitesOfClients } from './directory.ts';
import { Deadline } from '../../lib/deadline.ts';
import { PaymentUnavailableError, type PaymentProvider } from '../../lib/payments/client.ts';
import { orderFingerprint } from '../../lib/twopc/intent.ts';
import { FENCE_TIMEOUT_MS, SHARE_TIMEOUT_MARGIN_MS, SiteUnavailableError, type RemoteOrder, type SiteClient } from './site-client.ts';
import type { Outcome, TwoPhaseCommit } from './two-phase-commit.ts';

export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;
/** Totals are GraphQL Ints (32-bit): a larger order is refused rather than misreported. */
export const MAX_ORDER_TOTAL = 2_147_483_647;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Control characters: PostgreSQL refuses NUL in text, and none belongs in a name, an email or a key. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export type OrderErrorCode =
  | 'OUT_OF_STOCK' | 'UNKNOWN_PRODUCT' | 'UNKNOWN_CLIENT' | 'INVALID_QUANTITY' | 'PAYMENT_DECLINED' | 'PAYMENT_UNAVAILABLE'
  | 'SITE_UNAVAILABLE' | 'CONFLICT' | 'IDEMPOTENCY_KEY_REUSED' | 'INTERNAL_SERVER_ERROR';

export interface OrderError {
  code: OrderErrorCode;
  message: string;
  productId: string | null;
  available: number | null;
}

export interface OrderRef {
  __typename: 'Order';
  id: string;
  site: string;
}

export type PlaceOrderResult = { order: OrderRef; error: null } | { order: null; error: OrderError };

export interface PlaceOrderInput {
  clientId: string;
  items: { productId: string; quantity: number }[];
  idempotencyKey?: string | null;
  paymentMethod?: PaymentMethod | null;
}

export interface OrderServiceDeps {
  db: Kysely<CoordinatorDatabase>;
  sites: SiteClient;
  tpc: TwoPhaseCommit;
  payments: PaymentProvider;
  /** Attempts for an order that meets CONFLICT (a lock not granted, a version that moved). */
  maxAttempts: number;
  /** `timestamp` sends the snapshot's row versions with the work, to be checked at prepare. */
  concurrency?: ConcurrencyStrategy;
  /** An order's time budget when its caller sets no deadline (default DEFAULT_ORDER_BUDGET_MS). */
  orderBudgetMs?: number;
  /**
   * This site's copy of the client directory (logical replication into the site's database):
   * where an order finds its client's site without crossing to the coordinator. Default: `db`.
   */
  localDirectory?: Kysely<CoordinatorDatabase>;
}

/** Counters since start, for operators and the concurrency simulator (`/internal/concurrency`). */
export interface OrderAttemptStats {
  /** placeOrder calls that got as far as trying to commit. */
  orders: number;
  /** Global transactions tried for them: attempts − orders are retries. */
  attempts: number;
  /** Attempts a participant refused with CONFLICT. */
  conflicts: number;
  committed: number;
}

const fail = (code: OrderErrorCode, message: string, productId: number | null = null, available: number | null = null): PlaceOrderResult => ({
  order: null,
  error: { code, message, productId: productId === null ? null : String(productId), available },
});

const orderRef = (id: string, site: SiteId): OrderRef => ({ __typename: 'Order', id, site: SITES[site].code });

function positiveId(raw: string): number | null {
  if (!/^\d{1,10}$/.test(raw)) return null;
  const n = Number(raw);
  return n > 0 && n <= 2_147_483_647 ? n : null;
}

interface StockSnapshot {
  stock: Map<number, Map<SiteId, number>>;
  /** Row versions, by `${site}:${productId}`, for `timestamp`'s check at prepare. */
  versions: Map<string, number>;
}

/** One try at committing an order, with the reads it builds on. */
interface OrderAttempt {
  clientId: number;
  site: SiteId;
  demands: Demand[];
  snapshot: StockSnapshot;
  prices: Map<number, { price: number }>;
  total: number;
  method: PaymentMethod;
  key: string | null;
  /** 1 for the first try. */
  attempt: number;
  /** The order's id, the same for every attempt. */
  orderId: string;
  /** The provider's reference of the order's one authorization. */
  reference: string;
  deadline: Deadline;
}

/** committed; retry (a conflict); refused (a definite no); in-doubt (nobody knows yet: void nothing). */
type AttemptOutcome = { kind: 'committed' } | { kind: 'retry' | 'refused' | 'in-doubt'; result: PlaceOrderResult };

/** An order's whole time budget when the caller sets no deadline (below the gateway's 15 s). */
export const DEFAULT_ORDER_BUDGET_MS = 9_000;
/** Kept back from the caller's deadline to settle an unclear outcome (a fence) and answer. */
export const SETTLE_MARGIN_MS = FENCE_TIMEOUT_MS + SHARE_TIMEOUT_MARGIN_MS + 1_000;
/** No attempt starts with less than this left. */
const MIN_ATTEMPT_MS = 300;
const AUTHORIZE_ATTEMPTS = 3;
/** An intent's lease outlives its caller's deadline by this much. */
const LEASE_MARGIN_MS = SETTLE_MARGIN_MS + 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Full jitter: concurrent losers of one conflict spread out instead of colliding again. */
const backoffMs = (attempt: number) => Math.random() * 20 * 2 ** attempt;

export class OrderService {
  readonly stats: OrderAttemptStats = { orders: 0, attempts: 0, conflicts: 0, committed: 0 };

  constructor(private readonly deps: OrderServiceDeps) {}

  private async clientSite(clientId: number, authoritative = false): Promise<SiteId | null> {
    const db = authoritative ? this.deps.db : (this.deps.localDirectory ?? this.deps.db);
    return (await sitesOfClients(db, [clientId])).get(clientId) ?? null;
  }

  /** A directory change is known at every site (its local copy) before it is answered. */
  private async directoryCopied(): Promise<void> {
    if (this.deps.localDirectory) await awaitDirectoryCopies(this.deps.db);
  }

  /** Validates and merges the lines; returns an error result or the demands. */
  private demands(input: PlaceOrderInput): Demand[] | PlaceOrderResult {
    if (input.items.length === 0) return fail('INVALID_QUANTITY', 'An order needs at least one item');
    if (input.items.length > MAX_ORDER_LINES) return fail('INVALID_QUANTITY', `An order has at most ${MAX_ORDER_LINES} lines`);
    const merged = new Map<number, number>();
    for (const item of input.items) {
      const productId = positiveId(item.productId);
      if (productId === null) return fail('UNKNOWN_PRODUCT', `Unknown product "${item.productId}"`);
      if (!Number.isInteger(item.quantity) || item.quantity <= 0 || item.quantity > MAX_LINE_QUANTITY) {
        return fail('INVALID_QUANTITY', `Quantity must be a whole number from 1 to ${MAX_LINE_QUANTITY}`, productId);
      }
      merged.set(productId, (merged.get(productId) ?? 0) + item.quantity);
    }
    for (const [productId, quantity] of merged) {
      if (quantity > MAX_LINE_QUANTITY) return fail('INVALID_QUANTITY', `Quantity must be at most ${MAX_LINE_QUANTITY}`, productId);
    }
    return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  }

  /**
   * Places an order, at most once per idempotency key (see the module comment of
   * lib/twopc/intent.ts): record the intent at the client's site, authorize the payment once for
   * the order, then try attempts (one global transaction each) until one commits, a definite
   * refusal, or the deadline. The decision transaction confirms the intent and queues the capture;
   * a final failure marks the intent FAILED and queues the void. An attempt whose outcome is
   * unknown voids nothing: the caller is told to retry with the same key, recovery settles it.
   */
  async placeOrder(input: PlaceOrderInput, deadlineAt: number | null = null): Promise<PlaceOrderResult> {
    const clientId = positiveId(input.clientId);
    if (clientId === null) return fail('UNKNOWN_CLIENT', `Unknown client "${input.clientId}"`);
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > 200 || CONTROL.test(key))) return fail('INVALID_QUANTITY', 'idempotencyKey must be 1 to 200 printable characters');
    const demands = this.demands(input);
    if (!Array.isArray(demands)) return demands;
    const budget = this.deps.orderBudgetMs ?? DEFAULT_ORDER_BUDGET_MS;
    // the caller's deadline, less the time to settle an unclear outcome and answer
    const deadline = new Deadline(Math.min(Date.now() + budget, deadlineAt === null ? Infinity : deadlineAt - SETTLE_MARGIN_MS));
    const site = await this.clientSite(clientId);
    if (!site) return fail('UNKNOWN_CLIENT', `Unknown client ${clientId}`);
    try {
      const ids = demands.map((d) => d.productId);
      const [prices, firstSnapshot] = await Promise.all([this.deps.sites.prices(ids), this.stockSnapshot(site, ids)]);
      const unknown = demands.find((d) => !prices.has(d.productId));
      if (unknown) return fail('UNKNOWN_PRODUCT', `Unknown product ${unknown.productId}`, unknown.productId);
      const total = demands.reduce((sum, d) => sum + d.quantity * prices.get(d.productId)!.price, 0);
      if (total > MAX_ORDER_TOTAL) return fail('INVALID_QUANTITY', `The order total ${total} FCFA exceeds the ${MAX_ORDER_TOTAL} FCFA limit of one order`);
      const method = input.paymentMethod ?? 'CASH_ON_DELIVERY';

      const claimed = await this.claimIntent(site, { clientId, key, fingerprint: orderFingerprint(clientId, demands, method), amount: total, method }, deadline);
      if ('result' in claimed) return claimed.result;
      const orderId = claimed.orderId;
      // an order the warehouses cannot serve even now is refused before anything is charged
      const feasible = allocate(demands, warehouseOrderFrom(site), firstSnapshot.stock);
      if (!feasible.ok) {
        return this.giveUp(site, orderId, null, fail('OUT_OF_STOCK', `Only ${feasible.available} of product ${feasible.productId} available, ${feasible.requested} requested`, feasible.productId, feasible.available), false);
      }

      const authorization = await this.authorize(site, orderId, total, method, deadline);
      if ('result' in authorization) return authorization.result;
      const reference = authorization.reference;

      this.stats.orders++;
      let last: PlaceOrderResult = fail('CONFLICT', 'Concurrent orders conflicted; retry');
      for (let attempt = 1; attempt <= this.deps.maxAttempts; attempt++) {
        if (deadline.remainingMs() < MIN_ATTEMPT_MS) {
          last = fail('CONFLICT', 'The order could not be committed before its deadline; nothing was charged');
          break;
        }
        this.stats.attempts++;
        const snapshot = attempt === 1 ? firstSnapshot : await this.stockSnapshot(site, ids);
        const outcome = await this.attemptOrder({ clientId, site, demands, snapshot, prices, total, method, key, attempt, orderId, reference, deadline });
        if (outcome.kind === 'committed') {
          this.stats.committed++;
          return { order: orderRef(orderId, site), error: null };
        }
        if (outcome.kind === 'in-doubt') return outcome.result;
        last = outcome.result;
        if (outcome.kind !== 'retry') break;
        this.stats.conflicts++;
        if (attempt < this.deps.maxAttempts) await sleep(Math.min(backoffMs(attempt), deadline.remainingMs()));
      }
      return await this.giveUp(site, orderId, reference, last);
    } catch (error) {
      if (error instanceof SiteUnavailableError) return fail('SITE_UNAVAILABLE', error.message);
      throw error;
    }
  }

  /** Records the order's intent, or answers from the one its key already names. */
  private async claimIntent(
    site: SiteId,
    request: { clientId: number; key: string | null; fingerprint: string; amount: number; method: PaymentMethod },
    deadline: Deadline,
  ): Promise<{ orderId: string } | { result: PlaceOrderResult }> {
    const orderId = randomUUID();
    for (;;) {
      // the lease outlives this call's deadline: nobody takes the order over while it may still commit
      const leaseMs = deadline.remainingMs() + LEASE_MARGIN_MS;
      const answer = await this.deps.sites.beginOrder(site, { orderId, ...request, leaseMs: Math.max(1, Math.ceil(leaseMs)) }, FENCE_TIMEOUT_MS);
      switch (answer.outcome) {
        case 'NEW':
        case 'TAKEN_OVER':
          return { orderId: answer.orderId };
        case 'CONFIRMED':
          return { result: { order: orderRef(answer.orderId, site), error: null } };
        case 'FAILED':
          return { result: fail(answer.code as OrderErrorCode, answer.message) };
        case 'KEY_REUSED':
          return { result: fail('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for a different order; nothing was changed') };
        case 'PENDING':
          // another call drives this order: wait for its outcome, within this call's deadline
          if (deadline.remainingMs() < 100) {
            return { result: fail('SITE_UNAVAILABLE', 'An order with this idempotency key is still in progress; retry with the same key') };
          }
          await sleep(Math.min(100, answer.leaseRemainingMs, deadline.remainingMs()));
      }
    }
  }

  /**
   * Authorizes the order's payment once, keyed by the order id (so every attempt, a retry by the
   * customer and recovery all meet the same authorization). A provider that does not answer is
   * retried a few times within the deadline; then the order fails and a VOID is queued, since an
   * authorization may exist that the answer did not bring back.
   */
  private async authorize(site: SiteId, orderId: string, amount: number, method: PaymentMethod, deadline: Deadline): Promise<{ reference: string } | { result: PlaceOrderResult }> {
    let lastError = '';
    for (let attempt = 1; attempt <= AUTHORIZE_ATTEMPTS && deadline.remainingMs() >= MIN_ATTEMPT_MS; attempt++) {
      try {
        const answer = await this.deps.payments.authorize({ orderId, amount, method, idempotencyKey: orderId }, deadline.remainingMs() - MIN_ATTEMPT_MS / 2);
        if (!answer.approved) {
          if (answer.code === 'PAYMENT_DECLINED') return { result: await this.giveUp(site, orderId, null, fail('PAYMENT_DECLINED', answer.reason), false) };
          // the order's key holds an authorization made for another amount (the prices moved before a
          // take-over): it is voided, and the order refused
          return { result: await this.giveUp(site, orderId, null, fail('CONFLICT', `${answer.reason}; retry the order`)) };
        }
        if (answer.payment.status !== 'AUTHORIZED') {
          // never build an order on an authorization that was voided or captured already
          return { result: await this.giveUp(site, orderId, answer.payment.reference, fail('PAYMENT_DECLINED', `The payment is ${answer.payment.status}, not authorized`), false) };
        }
        return { reference: answer.payment.reference };
      } catch (error) {
        if (!(error instanceof PaymentUnavailableError)) throw error;
        lastError = error.message;
        await sleep(Math.min(50 * 2 ** attempt, deadline.remainingMs()));
      }
    }
    return { result: await this.giveUp(site, orderId, null, fail('PAYMENT_UNAVAILABLE', `${lastError || 'The payment provider did not answer in time'}; nothing was charged`)) };
  }

  /** The final failure: intent FAILED and the authorization voided, unless the order committed meanwhile. */
  private async giveUp(site: SiteId, orderId: string, reference: string | null, result: PlaceOrderResult, voidPayment = true): Promise<PlaceOrderResult> {
    const error = result.error!;
    try {
      const status = await this.deps.sites.finalizeOrder(site, { orderId, code: error.code, message: error.message, voidPayment, reference });
      if (status === 'CONFIRMED') return { order: orderRef(orderId, site), error: null };
    } catch {
      // The intent stays PENDING: once its lease expires, recovery finalizes it the same way, but
      // a retry with the same key may take it over first and commit it. The refusal is not final
      // until recorded, so the caller hears that the outcome is pending, never the refusal.
      return fail('SITE_UNAVAILABLE', `Site ${site} did not record the outcome; retry with the same idempotency key`);
    }
    return result;
  }

  /**
   * Every warehouse's stock of the products, read without locks (re-checked under row locks by
   * each participant). An unreachable warehouse contributes nothing, unless it is the client's own.
   */
  private async stockSnapshot(site: SiteId, ids: number[]): Promise<StockSnapshot> {
    const levels = await Promise.all(SITE_IDS.map((w) => this.deps.sites.stockSnapshot(w, ids).catch((e: unknown) => {
      if (w === site) throw e;
      return [];
    })));
    const stock = new Map<number, Map<SiteId, number>>();
    const versions = new Map<string, number>(); // `${site}:${productId}`
    for (const level of levels.flat()) {
      if (!stock.has(level.productId)) stock.set(level.productId, new Map());
      stock.get(level.productId)!.set(level.site, level.quantity);
      versions.set(`${level.site}:${level.productId}`, level.version);
    }
    return { stock, versions };
  }

  private async attemptOrder(attempt: OrderAttempt): Promise<AttemptOutcome> {
    const { clientId, site, demands, prices, total, method, key, orderId, reference, deadline } = attempt;
    const { tpc } = this.deps;
    const { stock, versions } = attempt.snapshot;
    const warehouses = warehouseOrderFrom(site);
    const allocation = allocate(demands, warehouses, stock);
    if (!allocation.ok) {
      return { kind: 'refused', result: fail('OUT_OF_STOCK', `Only ${allocation.available} of product ${allocation.productId} available, ${allocation.requested} requested`, allocation.productId, allocation.available) };
    }
    const involved = new Set<SiteId>([site, ...allocation.allocations.map((a) => a.site)]);
    // every attempt, a one-site one too, has a gid: an unclear outcome is settled by asking
    const gid = makeGid('order', randomUUID(), site);
    const budgetMs = Math.max(1, Math.floor(deadline.remainingMs()));
    const works = new Map<SiteId, ParticipantWork>();
    for (const s of involved) works.set(s, { gid, orderId, motif: 'COMMANDE', stock: [], budgetMs });
    const optimistic = this.deps.concurrency === 'timestamp';
    for (const a of allocation.allocations) {
      works.get(a.site)!.stock.push({
        productId: a.productId,
        delta: -a.quantity,
        ...(optimistic ? { expectedVersion: versions.get(`${a.site}:${a.productId}`)! } : {}),
      });
    }
    works.get(site)!.createOrder = {
      id: orderId,
      clientId,
      total,
      idempotencyKey: key,
      payment: { method, reference, amount: total },
      lines: allocation.allocations.map((a) => ({ productId: a.productId, quantity: a.quantity, unitPrice: prices.get(a.productId)!.price, site: a.site })),
    };
    const outcome = await tpc.run({ gid, decisionSite: site, works, attempt: attempt.attempt });
    if (outcome.committed) return { kind: 'committed' };
    if ('unavailable' in outcome && outcome.inDoubt) {
      return {
        kind: 'in-doubt',
        result: fail('SITE_UNAVAILABLE', `Site ${outcome.unavailable} did not answer; the order's outcome will be settled by recovery (retry with the same idempotency key)`),
      };
    }
    if ('vote' in outcome && outcome.vote.code === 'DUPLICATE' && outcome.vote.existingOrderId) {
      // the order was confirmed by an earlier attempt whose answer was lost
      return { kind: 'committed' };
    }
    const result = this.failureOf(outcome);
    return { kind: result.error?.code === 'CONFLICT' && 'vote' in outcome && outcome.vote.code === 'CONFLICT' ? 'retry' : 'refused', result };
  }

  private failureOf(outcome: Exclude<Outcome, { committed: true }>): PlaceOrderResult {
    if ('unavailable' in outcome) {
      return fail('SITE_UNAVAILABLE', outcome.inDoubt
        ? `Site ${outcome.unavailable} did not answer; the order's outcome will be settled by recovery (retry with the same idempotency key)`
        : `Site ${outcome.unavailable} is unavailable`);
    }
    const vote: ParticipantVote = outcome.vote;
    const productId = vote.productId === null ? null : Number(vote.productId);
    switch (vote.code) {
      case 'DEADLINE_EXCEEDED':
        return fail('CONFLICT', vote.message ?? 'The order could not be committed before its deadline');
      case 'INTERNAL':
        return fail('INTERNAL_SERVER_ERROR', 'A site failed to apply the order; nothing was changed');
      case 'OUT_OF_STOCK':
        // the snapshot was stale: another order took the stock in between
        return fail('OUT_OF_STOCK', vote.message ?? 'Out of stock', productId, vote.available);
      case 'UNKNOWN_PRODUCT':
        return fail('UNKNOWN_PRODUCT', vote.message ?? 'Unknown product', productId);
      case 'UNKNOWN_CLIENT':
        return fail('UNKNOWN_CLIENT', vote.message ?? 'Unknown client');
      default:
        return fail('CONFLICT', vote.message ?? 'Concurrent orders conflicted; retry');
    }
  }

  /** `authorize` sees the order before anything changes, and throws to refuse the cancellation. */
  async cancelOrder(orderId: string, authorize?: (order: RemoteOrder) => void): Promise<OrderRef> {
    if (!/^[0-9a-f-]{36}$/i.test(orderId)) throw new TerangaError('NOT_FOUND', `No order ${orderId}`);
    const answers = await Promise.all(
      SITE_IDS.map(async (s) => {
        try {
          return { s, order: await this.deps.sites.order(s, orderId), down: false };
        } catch (error) {
          if (error instanceof SiteUnavailableError) return { s, order: null, down: true };
          throw error;
        }
      }),
    );
    const found = answers.find((x) => x.order);
    if (!found?.order) {
      // the order may live at a site that did not answer: that is not "no such order"
      const down = answers.filter((a) => a.down).map((a) => a.s);
      if (down.length > 0) throw new TerangaError('SITE_UNAVAILABLE', `Site ${down.join(', ')} is unavailable; the order could not be looked up`);
      throw new TerangaError('NOT_FOUND', `No order ${orderId}`);
    }
    const { s: site, order } = found;
    authorize?.(order);
    if (order.status === 'CANCELLED') throw new TerangaError('BAD_USER_INPUT', `Order ${orderId} is already cancelled`);
    const gidId = randomUUID();
    const works = new Map<SiteId, ParticipantWork>();
    const workOf = (s: SiteId) => {
      if (!works.has(s)) works.set(s, { gid: null, orderId, motif: 'ANNULATION', stock: [] });
      return works.get(s)!;
    };
    workOf(site).cancelOrder = orderId;
    for (const line of order.lines) {
      const warehouse = siteByCode(line.site)?.id;
      if (!warehouse || !line.product) continue;
      workOf(warehouse).stock.push({ productId: Number(line.product.id), delta: line.quantity });
    }
    for (let attempt = 1; ; attempt++) {
      // a fresh gid each attempt: a rollback left to recovery must not meet its retry
      const gid = works.size > 1 ? makeGid('cancel', attempt === 1 ? gidId : randomUUID(), site) : null;
      for (const w of works.values()) w.gid = gid;
      const outcome = await this.deps.tpc.run({ gid, decisionSite: site, works, attempt });
      if (outcome.committed) return orderRef(orderId, site);
      const conflicted = 'vote' in outcome && outcome.vote.code === 'CONFLICT';
      if (!conflicted || attempt >= this.deps.maxAttempts) {
        throw new TerangaError(('unavailable' in outcome) ? 'SITE_UNAVAILABLE' : 'CONFLICT', 'The cancellation could not be committed; nothing changed');
      }
      await sleep(backoffMs(attempt));
    }
  }

  async registerClient(input: { name: string; city: string; email: string }): Promise<{ __typename: 'Client'; id: string }> {
    const name = input.name.trim();
    const email = input.email.trim();
    if (name.length === 0 || name.length > 200 || CONTROL.test(name)) throw new TerangaError('BAD_USER_INPUT', 'name must be 1 to 200 printable characters');
    if (email.length > 254 || !EMAIL.test(email) || CONTROL.test(email)) throw new TerangaError('INVALID_EMAIL', `Malformed email "${email.slice(0, 100)}"`);
    const { city, site } = placement(input.city);
    if (await emailTaken(this.deps.db, email)) throw new TerangaError('DUPLICATE_EMAIL', 'This email is already registered');
    const id = await nextClientId(this.deps.db);
    const gid = makeGid('register', randomUUID(), site);
    const work: ParticipantWork = { gid, orderId: null, motif: null, stock: [], insertClient: { client: { id, nom: name, ville: city, email }, orders: [] } };
    const outcome = await this.deps.tpc.run({
      gid,
      decisionSite: site,
      works: new Map([[site, work]]),
      local: directoryParticipant(this.deps.db, async (trx) => {
        await trx.insertInto('client_site').values({ client_id: id, site, email }).execute();
      }),
    });
    if (!outcome.committed) {
      if ('unavailable' in outcome) throw new TerangaError('SITE_UNAVAILABLE', `Site ${outcome.unavailable} is unavailable`);
      // only a vote that says so is a duplicate: anything else must not be reported as one
      if (outcome.vote.code === 'DUPLICATE_EMAIL') throw new TerangaError('DUPLICATE_EMAIL', 'This email is already registered');
      if (outcome.vote.code === 'CONFLICT') throw new TerangaError('CONFLICT', 'A concurrent registration conflicted; nothing changed, retry');
      throw new TerangaError('INTERNAL_SERVER_ERROR', 'The registration could not be committed; nothing changed');
    }
    await this.directoryCopied();
    return { __typename: 'Client', id: String(id) };
  }

  async moveClient(rawId: string, newCity: string): Promise<{ __typename: 'Client'; id: string }> {
    const id = positiveId(rawId);
    if (id === null) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
    const { city, site: to } = placement(newCity);
    const from = await this.clientSite(id, true);
    if (!from) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
    for (let attempt = 1; ; attempt++) {
      // the export is checked again under the client's row lock in the delete: an order committed
      // in between makes that share vote CONFLICT, and the move starts over with a fresh export
      const exported = await this.deps.sites.exportClient(from, id);
      if (!exported) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
      const data = ClientExportSchema.parse(JSON.parse(exported));
      data.client.ville = city;
      const gid = makeGid('move', randomUUID(), to);
      const works = new Map<SiteId, ParticipantWork>();
      const expectedExport = exportHash(exported);
      if (from === to) {
        works.set(to, { gid: null, orderId: null, motif: null, stock: [], deleteClient: id, expectedExport, insertClient: data });
      } else {
        works.set(from, { gid, orderId: null, motif: null, stock: [], deleteClient: id, expectedExport });
        works.set(to, { gid, orderId: null, motif: null, stock: [], insertClient: data });
      }
      const outcome = await this.deps.tpc.run({
        gid: from === to ? null : gid,
        decisionSite: to,
        works,
        local: from === to ? undefined : directoryParticipant(this.deps.db, async (trx) => {
          await trx.updateTable('client_site').set({ site: to, updated_at: new Date() }).where('client_id', '=', id).execute();
        }),
      });
      if (outcome.committed) break;
      const conflicted = 'vote' in outcome && outcome.vote.code === 'CONFLICT';
      if (!conflicted || attempt >= this.deps.maxAttempts) {
        throw new TerangaError('unavailable' in outcome ? 'SITE_UNAVAILABLE' : 'CONFLICT', 'The move could not be committed; nothing changed');
      }
      await sleep(backoffMs(attempt));
    }
    await this.directoryCopied();
    return { __typename: 'Client', id: String(id) };
  }
}
