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
import { ClientExportSchema, exportHash, makeGid, type ParticipantWork, type PaymentMethod } from '../../lib/twopc/work.ts';
import { allocate, type Demand } from './allocation.ts';
import { awaitDirectoryCopies, directoryShare, emailTaken, nextClientId, sitesOfClients } from './directory.ts';
import { Deadline } from '../../lib/deadline.ts';
import { recordStep } from '../../lib/service/request-context.ts';
import { orderFingerprint } from '../../lib/twopc/intent.ts';
import { DIRECTORY, type MachineConfig } from '../../lib/twopc/machine/order-machine.ts';
import { planShares, type ConcurrencyStrategy } from './concurrency-control.ts';
import type { AttemptPlan, DriverResult, OrderDriver, OrderPlanner, Refusal } from './protocol/order-driver.ts';
import { FENCE_TIMEOUT_MS, SHARE_TIMEOUT_MARGIN_MS, SiteUnavailableError, type RemoteOrder, type SiteClient, type StockGuessRow } from './site-client.ts';

export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;
/** Totals are GraphQL Ints (32-bit): a larger order is refused rather than misreported. */
export const MAX_ORDER_TOTAL = 2_147_483_647;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Control characters: PostgreSQL refuses NUL in text, and none belongs in a name, an email or a key. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export const ORDER_ERROR_CODES = [
  'OUT_OF_STOCK', 'UNKNOWN_PRODUCT', 'UNKNOWN_CLIENT', 'INVALID_QUANTITY', 'PAYMENT_DECLINED', 'PAYMENT_UNAVAILABLE',
  'SITE_UNAVAILABLE', 'CONFLICT', 'IDEMPOTENCY_KEY_REUSED', 'INTERNAL_SERVER_ERROR',
] as const;
export type OrderErrorCode = (typeof ORDER_ERROR_CODES)[number];

/** The code a participant's refusal becomes for the caller and the intent. */
export function orderFailureCode(voteCode: string): OrderErrorCode {
  switch (voteCode) {
    case 'INTERNAL':
      return 'INTERNAL_SERVER_ERROR';
    case 'OUT_OF_STOCK':
    case 'UNKNOWN_PRODUCT':
    case 'UNKNOWN_CLIENT':
    case 'SITE_UNAVAILABLE':
    case 'PAYMENT_DECLINED':
    case 'PAYMENT_UNAVAILABLE':
      return voteCode;
    default:
      // DEADLINE_EXCEEDED, ABORTED, a constraint that refused the change: another try may pass
      return 'CONFLICT';
  }
}

/** What the caller reads of a failure whose own refusal was not seen (a replay, a pending outcome). */
const FAILURE_MESSAGES: Readonly<Record<OrderErrorCode, string>> = {
  OUT_OF_STOCK: 'Out of stock; nothing was charged',
  UNKNOWN_PRODUCT: 'Unknown product',
  UNKNOWN_CLIENT: 'Unknown client',
  INVALID_QUANTITY: 'Invalid quantity',
  PAYMENT_DECLINED: 'The payment was declined',
  PAYMENT_UNAVAILABLE: 'The payment provider did not answer in time; nothing was charged',
  SITE_UNAVAILABLE: "A site did not answer; the order's outcome is pending: retry with the same idempotency key",
  CONFLICT: 'Concurrent orders conflicted; nothing was charged, retry',
  IDEMPOTENCY_KEY_REUSED: 'This idempotency key was already used for a different order; nothing was changed',
  INTERNAL_SERVER_ERROR: 'A site failed to apply the order; nothing was changed',
};

const outOfStock = (a: { productId: number; available: number; requested: number }): Refusal => ({
  code: 'OUT_OF_STOCK',
  message: `Only ${a.available} of product ${a.productId} available, ${a.requested} requested`,
  productId: a.productId,
  available: a.available,
});

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
  /**
   * Runs the protocol machine over the sites, the directory and the payment provider: every
   * order, cancellation, registration and move.
   */
  driver: OrderDriver;
  /** Attempts for a global transaction that meets CONFLICT (a lock not granted, a version that moved). */
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
  /**
   * This coordinator's site: an order's first allocation is guessed from that site's view of every
   * warehouse (its own live, the others from its local copies), without crossing the WAN. Without
   * it, the first attempt reads every warehouse.
   */
  site?: SiteId;
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
  /** The figures (by `${site}:${productId}`) read from a local copy, not at their warehouse. */
  guessed: ReadonlySet<string>;
}

/** An order's whole time budget when the caller sets no deadline (below the gateway's 15 s). */
export const DEFAULT_ORDER_BUDGET_MS = 9_000;
/** Kept back from the caller's deadline to settle an unclear outcome (a fence) and answer. */
export const SETTLE_MARGIN_MS = FENCE_TIMEOUT_MS + SHARE_TIMEOUT_MARGIN_MS + 1_000;
/** No attempt starts with less than this left. */
export const MIN_ATTEMPT_MS = 300;
/** An intent's lease outlives its caller's deadline by this much. */
export const LEASE_MARGIN_MS = SETTLE_MARGIN_MS + 2_000;

/** The order machine's settings of the real coordinator. */
export function orderMachineConfig(maxAttempts: number): MachineConfig {
  return { maxAttempts, authorizeAttempts: 3, commitRetries: 5, failureCode: orderFailureCode };
}

/** What a cancellation, registration or move tells its caller of a failure the machine reported. */
function transactionError(result: DriverResult, what: string): TerangaError {
  const code = result.reply.ok ? 'INTERNAL' : result.reply.code;
  if (code === 'SITE_UNAVAILABLE') return new TerangaError('SITE_UNAVAILABLE', result.refusal?.message ?? `A site did not answer; the ${what} could not be committed`);
  if (code === 'INTERNAL') return new TerangaError('INTERNAL_SERVER_ERROR', `A site failed to apply the ${what}; nothing changed`);
  return new TerangaError('CONFLICT', `The ${what} could not be committed; nothing changed`);
}

export class OrderService {
  readonly stats: OrderAttemptStats = { orders: 0, attempts: 0, conflicts: 0, committed: 0 };

  /** How orders take their stock locks; switched at run time by the concurrency simulator. */
  private strategy: ConcurrencyStrategy;

  constructor(private readonly deps: OrderServiceDeps) {
    this.strategy = deps.concurrency ?? 'locking';
  }

  get concurrency(): ConcurrencyStrategy {
    return this.strategy;
  }

  /** Orders that start from now on use `strategy`; those under way finish with the one they began with. */
  setConcurrency(strategy: ConcurrencyStrategy): void {
    this.strategy = strategy;
  }

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
   * lib/twopc/intent.ts). This method validates and reads (client's site, prices, a first stock
   * snapshot) and plans each attempt (allocation, works, lock plan); the protocol itself — the
   * intent, the one authorization, the attempts, the decision, the fence of an unclear outcome,
   * the final failure — is the order machine (lib/twopc/machine/order-machine.ts), run by the
   * driver (protocol/order-driver.ts) within the request's deadline.
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
    const ids = demands.map((d) => d.productId);
    const looked = performance.now();
    // neither the prices nor this site's view of the stock depend on the client's site: both are
    // asked while the directory answers (a failure is taken up where they are awaited, or not at
    // all when the client is unknown)
    const pricesRead = this.deps.sites.prices(ids);
    pricesRead.catch(() => {});
    const guessRead = this.stockGuess(ids);
    guessRead.catch(() => {});
    const site = await this.clientSite(clientId);
    recordStep('directory', performance.now() - looked);
    if (!site) return fail('UNKNOWN_CLIENT', `Unknown client ${clientId}`);
    let planned = false;
    try {
      const warehouses = warehouseOrderFrom(site);
      const read = performance.now();
      const [prices, firstSnapshot] = await Promise.all([pricesRead, this.firstSnapshot(guessRead, site, ids, demands, warehouses)]);
      recordStep('prices-and-stock', performance.now() - read);
      const unknown = demands.find((d) => !prices.has(d.productId));
      if (unknown) return fail('UNKNOWN_PRODUCT', `Unknown product ${unknown.productId}`, unknown.productId);
      const total = demands.reduce((sum, d) => sum + d.quantity * prices.get(d.productId)!.price, 0);
      if (total > MAX_ORDER_TOTAL) return fail('INVALID_QUANTITY', `The order total ${total} FCFA exceeds the ${MAX_ORDER_TOTAL} FCFA limit of one order`);
      const method = input.paymentMethod ?? 'CASH_ON_DELIVERY';

      const planner: OrderPlanner = {
        // an order the warehouses cannot serve even now is refused before anything is charged
        feasible: () => {
          const feasible = allocate(demands, warehouses, firstSnapshot.stock);
          return feasible.ok ? null : outOfStock(feasible);
        },
        plan: async (attempt, orderId, reference) => {
          if (!planned) this.stats.orders++;
          planned = true;
          this.stats.attempts++;
          const snapshot = attempt === 1 ? firstSnapshot : await this.stockSnapshot(site, ids);
          const allocation = allocate(demands, warehouses, snapshot.stock);
          if (!allocation.ok) return outOfStock(allocation);
          const involved = new Set<SiteId>([site, ...allocation.allocations.map((x) => x.site)]);
          // every attempt, a one-site one too, has a gid: an unclear outcome is settled by asking
          const gid = makeGid('order', randomUUID(), site);
          const budgetMs = Math.max(1, Math.floor(deadline.remainingMs()));
          const works = new Map<SiteId, ParticipantWork>();
          for (const s of involved) works.set(s, { gid, orderId, motif: 'COMMANDE', stock: [], budgetMs });
          const optimistic = this.strategy === 'timestamp';
          for (const x of allocation.allocations) {
            works.get(x.site)!.stock.push({
              productId: x.productId,
              delta: -x.quantity,
              ...(optimistic ? { expectedVersion: snapshot.versions.get(`${x.site}:${x.productId}`)! } : {}),
              // a shortfall against a stale copy costs a new attempt (CONFLICT), never a refusal
              ...(snapshot.guessed.has(`${x.site}:${x.productId}`) ? { guessed: true } : {}),
            });
          }
          works.get(site)!.createOrder = {
            id: orderId,
            clientId,
            total,
            idempotencyKey: key,
            payment: { method, reference: reference!, amount: total },
            lines: allocation.allocations.map((x) => ({ productId: x.productId, quantity: x.quantity, unitPrice: prices.get(x.productId)!.price, site: x.site })),
          };
          return { gid, ...planShares(this.strategy, site, works, attempt) };
        },
        conflicted: () => {
          this.stats.conflicts++;
        },
      };
      const request = { orderId: randomUUID(), clientId, key, fingerprint: orderFingerprint(clientId, demands, method), amount: total, method, clientSite: site };
      const result = await this.deps.driver.placeOrder(request, planner, deadline);
      if (result.reply.ok) {
        if (planned) this.stats.committed++;
        return { order: orderRef(result.reply.orderId, site), error: null };
      }
      return this.failure(result.reply.code, result.refusal);
    } catch (error) {
      if (error instanceof SiteUnavailableError) return fail('SITE_UNAVAILABLE', error.message);
      throw error;
    }
  }

  /** What the caller is told of a failure: the refusal's details when it is the one reported. */
  private failure(code: string, refusal: Refusal | null): PlaceOrderResult {
    const reported = (ORDER_ERROR_CODES as readonly string[]).includes(code) ? (code as OrderErrorCode) : 'INTERNAL_SERVER_ERROR';
    if (refusal && (refusal.code === reported || orderFailureCode(refusal.code) === reported)) {
      return fail(reported, refusal.message, refusal.productId, refusal.available);
    }
    return fail(reported, FAILURE_MESSAGES[reported]);
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
    return { stock, versions, guessed: new Set() };
  }

  /** This coordinator's site's view of every warehouse's stock (null: no site of its own). */
  private async stockGuess(ids: number[]): Promise<StockGuessRow[] | null> {
    const here = this.deps.site;
    return here ? this.deps.sites.stockGuess(here, ids) : null;
  }

  /**
   * The first attempt's stock: this coordinator's site's view when it has one (one call to its
   * own region: its warehouse live, the others from its local copies), so that planning crosses no
   * WAN link. The warehouses themselves are read instead when that view cannot serve the order (a
   * stale copy must not refuse an order the warehouses could serve) or does not answer. Later
   * attempts always read the warehouses: a stale guess costs one attempt, never correctness.
   */
  private async firstSnapshot(guess: Promise<StockGuessRow[] | null>, site: SiteId, ids: number[], demands: readonly Demand[], warehouses: readonly SiteId[]): Promise<StockSnapshot> {
    const rows = await guess.catch(() => null);
    if (!rows) return this.stockSnapshot(site, ids);
    const stock = new Map<number, Map<SiteId, number>>();
    const versions = new Map<string, number>();
    const guessed = new Set<string>();
    for (const row of rows) {
      if (!stock.has(row.productId)) stock.set(row.productId, new Map());
      stock.get(row.productId)!.set(row.site, row.quantity);
      versions.set(`${row.site}:${row.productId}`, row.version);
      if (!row.live) guessed.add(`${row.site}:${row.productId}`);
    }
    if (!allocate(demands, warehouses, stock).ok) return this.stockSnapshot(site, ids);
    return { stock, versions, guessed };
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
    const planner = {
      plan: async (attempt: number): Promise<AttemptPlan> => {
        // a fresh gid each attempt: a rollback left to recovery must not meet its retry; a one-site
        // cancellation has one too, so that an unclear answer is settled by asking (a decision record)
        const gid = makeGid('cancel', attempt === 1 ? gidId : randomUUID(), site);
        const works = new Map<SiteId, ParticipantWork>();
        const workOf = (s: SiteId) => {
          if (!works.has(s)) works.set(s, { gid, orderId, motif: 'ANNULATION', stock: [] });
          return works.get(s)!;
        };
        workOf(site).cancelOrder = orderId;
        for (const line of order.lines) {
          const warehouse = siteByCode(line.site)?.id;
          if (!warehouse || !line.product) continue;
          workOf(warehouse).stock.push({ productId: Number(line.product.id), delta: line.quantity });
        }
        return { gid, ...planShares(this.strategy, site, works, attempt) };
      },
    };
    const result = await this.deps.driver.transact(orderId, site, planner, this.transactionDeadline());
    if (!result.reply.ok) throw transactionError(result, 'cancellation');
    return orderRef(orderId, site);
  }

  /** A cancellation's, registration's or move's time budget: no new attempt starts past it. */
  private transactionDeadline(): Deadline {
    return Deadline.after(this.deps.orderBudgetMs ?? DEFAULT_ORDER_BUDGET_MS);
  }

  async registerClient(input: { name: string; city: string; email: string }): Promise<{ __typename: 'Client'; id: string }> {
    const name = input.name.trim();
    const email = input.email.trim();
    if (name.length === 0 || name.length > 200 || CONTROL.test(name)) throw new TerangaError('BAD_USER_INPUT', 'name must be 1 to 200 printable characters');
    if (email.length > 254 || !EMAIL.test(email) || CONTROL.test(email)) throw new TerangaError('INVALID_EMAIL', `Malformed email "${email.slice(0, 100)}"`);
    const { city, site } = placement(input.city);
    if (await emailTaken(this.deps.db, email)) throw new TerangaError('DUPLICATE_EMAIL', 'This email is already registered');
    const id = await nextClientId(this.deps.db);
    const registration = randomUUID();
    const planner = {
      plan: async (attempt: number): Promise<AttemptPlan> => {
        const gid = makeGid('register', attempt === 1 ? registration : randomUUID(), site);
        const work: ParticipantWork = { gid, orderId: null, motif: null, stock: [], insertClient: { client: { id, nom: name, ville: city, email }, orders: [] } };
        return {
          gid,
          // the directory first: its unique email refuses a duplicate before any site holds a lock
          rounds: [[DIRECTORY]],
          shareOf: () => work,
          decisionWork: work,
          directory: directoryShare(this.deps.db, async (trx) => {
            await trx.insertInto('client_site').values({ client_id: id, site, email }).execute();
          }),
        };
      },
    };
    const result = await this.deps.driver.transact(registration, site, planner, this.transactionDeadline());
    if (!result.reply.ok) {
      // only a vote that says so is a duplicate: anything else must not be reported as one
      if (result.reply.code === 'DUPLICATE_EMAIL') throw new TerangaError('DUPLICATE_EMAIL', 'This email is already registered');
      throw transactionError(result, 'registration');
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
    const move = randomUUID();
    const planner = {
      plan: async (attempt: number): Promise<AttemptPlan | Refusal> => {
        // the export is checked again under the client's row lock in the delete: an order committed
        // in between makes that share vote CONFLICT, and the next attempt starts with a fresh export
        const exported = await this.deps.sites.exportClient(from, id);
        if (!exported) return { code: 'NOT_FOUND', message: `No client ${rawId}`, productId: null, available: null };
        const data = ClientExportSchema.parse(JSON.parse(exported));
        data.client.ville = city;
        const gid = makeGid('move', attempt === 1 ? move : randomUUID(), to);
        const expectedExport = exportHash(exported);
        if (from === to) {
          // one site: its local commit is the decision, recorded under the gid like any other
          const work: ParticipantWork = { gid, orderId: null, motif: null, stock: [], deleteClient: id, expectedExport, insertClient: data };
          return { gid, rounds: [], shareOf: () => work, decisionWork: work };
        }
        const leaving: ParticipantWork = { gid, orderId: null, motif: null, stock: [], deleteClient: id, expectedExport };
        const arriving: ParticipantWork = { gid, orderId: null, motif: null, stock: [], insertClient: data };
        return {
          gid,
          rounds: [[DIRECTORY], [from]],
          shareOf: (s) => (s === to ? arriving : leaving),
          decisionWork: arriving,
          directory: directoryShare(this.deps.db, async (trx) => {
            await trx.updateTable('client_site').set({ site: to, updated_at: new Date() }).where('client_id', '=', id).execute();
          }),
        };
      },
    };
    const result = await this.deps.driver.transact(move, to, planner, this.transactionDeadline());
    if (!result.reply.ok) {
      if (result.reply.code === 'NOT_FOUND') throw new TerangaError('NOT_FOUND', `No client ${rawId}`);
      throw transactionError(result, 'move');
    }
    await this.directoryCopied();
    return { __typename: 'Client', id: String(id) };
  }
}
