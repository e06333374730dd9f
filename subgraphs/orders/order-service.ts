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
import { ClientExportSchema, makeGid, type ParticipantVote, type ParticipantWork, type PaymentMethod } from '../../lib/twopc/work.ts';
import { allocate, type Demand } from './allocation.ts';
import type { ConcurrencyStrategy } from './concurrency-control.ts';
import { directoryParticipant, emailTaken, nextClientId, sitesOfClients } from './directory.ts';
import type { PaymentProvider } from './payment-provider.ts';
import { SiteUnavailableError, type RemoteOrder, type SiteClient } from './site-client.ts';
import type { Outcome, TwoPhaseCommit } from './two-phase-commit.ts';

export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;
/** Totals are GraphQL Ints (32-bit): a larger order is refused rather than misreported. */
export const MAX_ORDER_TOTAL = 2_147_483_647;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Control characters: PostgreSQL refuses NUL in text, and none belongs in a name, an email or a key. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export type OrderErrorCode =
  | 'OUT_OF_STOCK' | 'UNKNOWN_PRODUCT' | 'UNKNOWN_CLIENT' | 'INVALID_QUANTITY' | 'PAYMENT_DECLINED' | 'SITE_UNAVAILABLE' | 'CONFLICT';

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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Full jitter: concurrent losers of one conflict spread out instead of colliding again. */
const backoffMs = (attempt: number) => Math.random() * 20 * 2 ** attempt;

export class OrderService {
  readonly stats: OrderAttemptStats = { orders: 0, attempts: 0, conflicts: 0, committed: 0 };

  constructor(private readonly deps: OrderServiceDeps) {}

  private async clientSite(clientId: number): Promise<SiteId | null> {
    return (await sitesOfClients(this.deps.db, [clientId])).get(clientId) ?? null;
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

  async placeOrder(input: PlaceOrderInput): Promise<PlaceOrderResult> {
    const clientId = positiveId(input.clientId);
    if (clientId === null) return fail('UNKNOWN_CLIENT', `Unknown client "${input.clientId}"`);
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > 200 || CONTROL.test(key))) return fail('INVALID_QUANTITY', 'idempotencyKey must be 1 to 200 printable characters');
    const demands = this.demands(input);
    if (!Array.isArray(demands)) return demands;
    const site = await this.clientSite(clientId);
    if (!site) return fail('UNKNOWN_CLIENT', `Unknown client ${clientId}`);
    try {
      const ids = demands.map((d) => d.productId);
      // independent reads, in parallel: a retried key's order, the prices, the first stock snapshot
      const [existing, prices, firstSnapshot] = await Promise.all([
        key === null ? null : this.deps.sites.orderByKey(site, clientId, key),
        this.deps.sites.prices(ids),
        this.stockSnapshot(site, ids),
      ]);
      if (existing) return { order: orderRef(existing, site), error: null };
      const unknown = demands.find((d) => !prices.has(d.productId));
      if (unknown) return fail('UNKNOWN_PRODUCT', `Unknown product ${unknown.productId}`, unknown.productId);
      const total = demands.reduce((sum, d) => sum + d.quantity * prices.get(d.productId)!.price, 0);
      if (total > MAX_ORDER_TOTAL) return fail('INVALID_QUANTITY', `The order total ${total} FCFA exceeds the ${MAX_ORDER_TOTAL} FCFA limit of one order`);
      const method = input.paymentMethod ?? 'CASH_ON_DELIVERY';
      this.stats.orders++;
      for (let attempt = 1; ; attempt++) {
        this.stats.attempts++;
        const snapshot = attempt === 1 ? firstSnapshot : await this.stockSnapshot(site, ids);
        const result = await this.attemptOrder({ clientId, site, demands, snapshot, prices, total, method, key, attempt });
        if (result.order) this.stats.committed++;
        if (result.error?.code === 'CONFLICT') this.stats.conflicts++;
        if (result.error?.code !== 'CONFLICT' || attempt >= this.deps.maxAttempts) return result;
        await sleep(backoffMs(attempt));
      }
    } catch (error) {
      if (error instanceof SiteUnavailableError) return fail('SITE_UNAVAILABLE', error.message);
      throw error;
    }
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

  private async attemptOrder(attempt: OrderAttempt): Promise<PlaceOrderResult> {
    const { clientId, site, demands, prices, total, method, key } = attempt;
    const { sites, tpc, payments } = this.deps;
    const { stock, versions } = attempt.snapshot;
    const warehouses = warehouseOrderFrom(site);
    const allocation = allocate(demands, warehouses, stock);
    if (!allocation.ok) {
      return fail('OUT_OF_STOCK', `Only ${allocation.available} of product ${allocation.productId} available, ${allocation.requested} requested`, allocation.productId, allocation.available);
    }
    const orderId = randomUUID();
    const authorization = await payments.authorize({ amount: total, method, idempotencyKey: key ? `${clientId}:${key}` : orderId });
    if (!authorization.approved) return fail('PAYMENT_DECLINED', authorization.reason);

    const involved = new Set<SiteId>([site, ...allocation.allocations.map((a) => a.site)]);
    const gid = involved.size > 1 ? makeGid('order', orderId, site) : null;
    const works = new Map<SiteId, ParticipantWork>();
    for (const s of involved) works.set(s, { gid, orderId, motif: 'COMMANDE', stock: [] });
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
      payment: { method, reference: authorization.reference, amount: total },
      lines: allocation.allocations.map((a) => ({ productId: a.productId, quantity: a.quantity, unitPrice: prices.get(a.productId)!.price, site: a.site })),
    };
    const outcome = await tpc.run({ gid, decisionSite: site, works, attempt: attempt.attempt });
    if (outcome.committed) {
      await payments.capture(authorization.reference);
      return { order: orderRef(orderId, site), error: null };
    }
    if ('vote' in outcome && outcome.vote.code === 'DUPLICATE' && outcome.vote.existingOrderId) {
      // a concurrent call with the same key won: its order is this call's answer
      return { order: orderRef(outcome.vote.existingOrderId, site), error: null };
    }
    await payments.void(authorization.reference);
    return this.failureOf(outcome);
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
    const found = (await Promise.all(SITE_IDS.map(async (s) => ({ s, order: await this.deps.sites.order(s, orderId).catch(() => null) })))).find((x) => x.order);
    if (!found?.order) throw new TerangaError('NOT_FOUND', `No order ${orderId}`);
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
      throw new TerangaError('DUPLICATE_EMAIL', 'This email is already registered');
    }
    return { __typename: 'Client', id: String(id) };
  }

  async moveClient(rawId: string, newCity: string): Promise<{ __typename: 'Client'; id: string }> {
    const id = positiveId(rawId);
    if (id === null) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
    const { city, site: to } = placement(newCity);
    const from = await this.clientSite(id);
    if (!from) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
    const exported = await this.deps.sites.exportClient(from, id);
    if (!exported) throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
    const data = ClientExportSchema.parse(JSON.parse(exported));
    data.client.ville = city;
    const gid = makeGid('move', randomUUID(), to);
    const works = new Map<SiteId, ParticipantWork>();
    if (from === to) {
      works.set(to, { gid: null, orderId: null, motif: null, stock: [], deleteClient: id, insertClient: data });
    } else {
      works.set(from, { gid, orderId: null, motif: null, stock: [], deleteClient: id });
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
    if (!outcome.committed) {
      throw new TerangaError('unavailable' in outcome ? 'SITE_UNAVAILABLE' : 'CONFLICT', 'The move could not be committed; nothing changed');
    }
    return { __typename: 'Client', id: String(id) };
  }
}
