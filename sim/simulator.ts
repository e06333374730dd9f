/**
 * Task 4c: concurrent orders on a few hot products against the real cluster, then a check of what
 * happened. Steps:
 * 1. stock each hot product at its home warehouse only (inventory adjustments, in the ledger);
 * 2. run the orders, `concurrency` at a time: with `locking` or `timestamp` as real placeOrder calls
 *    to the orders coordinator (switched to that strategy at run time, and back afterwards); with `none`
 *    as the unsafe read, compute, write-back straight on the site databases, without any lock;
 * 3. rebuild the history from what the sites recorded (the ledger's quantity read and written and
 *    the row version of each change; for `none`, what the simulator read and wrote), and check it:
 *    conflict serializability and the stock invariants;
 * 4. put every hot product back as it found it, with ledger lines, and the coordinator's strategy.
 * Meant for a quiet cluster: orders from others on the hot products would show in the history.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { toolPool } from '../lib/db/tool-client.ts';
import { currentPrimary } from '../cluster/cluster.ts';
import { internalHeaders } from '../cluster/coordinator-admin.ts';
import { readState } from '../cluster/state.ts';
import { warehouseOrderFrom } from '../lib/placement.ts';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { connectionString, serviceByName, type Topology } from '../lib/topology.ts';
import { allocate } from '../subgraphs/orders/allocation.ts';
import type { ConcurrencyStrategy } from '../subgraphs/orders/concurrency-control.ts';
import { historyFromRecords, itemOf, type Item, type RecordedAccess, type RecordedTransaction } from './history.ts';
import { checkConflictSerializability, type SerializabilityResult } from './serializability.ts';
import { adjustStock, ledgerMark, ledgerSince, readStock, readUnlocked, writeBlindly, type LedgerLine } from './site-stock.ts';
import { checkStockInvariants, type StockChange, type StockViolation } from './stock-invariants.ts';
import { expectedDemandPerProduct, generateWorkload, homeWarehouse, type SimulatedOrder } from './workload.ts';
import { eachAtMost } from '../lib/each-at-most.ts';

export const SIMULATION_STRATEGIES = ['locking', 'timestamp', 'none'] as const;
export type SimulationStrategy = (typeof SIMULATION_STRATEGIES)[number];

export interface SimulationOptions {
  readonly topology: Topology;
  readonly strategy: SimulationStrategy;
  readonly orders: number;
  readonly concurrency: number;
  /** How many hot products the orders share: 1 is the worst contention. */
  readonly hotProducts: number;
  /** Units of each hot product at its home warehouse; default twice the expected demand. */
  readonly stock?: number;
  readonly maxLines?: number;
  readonly maxQuantity?: number;
  readonly seed?: number;
  /** `none`: pause between the read and the write-back, widening the window for lost updates. */
  readonly writeDelayMs?: number;
  readonly progress?: (message: string) => void;
}

/** How one order ended, as its caller saw it. */
export interface OrderAnswer {
  readonly index: number;
  /** CONFIRMED, or the error code (CONFLICT, OUT_OF_STOCK, …; TIMEOUT if no answer came). */
  readonly outcome: string;
  readonly orderId: string | null;
  readonly latencyMs: number;
}

export interface SimulationReport {
  readonly strategy: SimulationStrategy;
  readonly orders: number;
  readonly concurrency: number;
  readonly hotProducts: readonly number[];
  readonly stockPerProduct: number;
  readonly seed: number;
  readonly elapsedMs: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Answers SITE_UNAVAILABLE ("outcome pending") the simulated customers asked again, with the same key. */
  readonly pendingRetries: number;
  /** Attempts the coordinator made (retries included); null for `none`. */
  readonly attempts: number | null;
  /** Orders that reached a first attempt (not refused before, e.g. OUT_OF_STOCK); null for `none`. */
  readonly attemptedOrders: number | null;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly transactions: number;
  readonly serializability: SerializabilityResult;
  readonly violations: readonly StockViolation[];
}

const DEFAULTS = { maxLines: 2, maxQuantity: 2, writeDelayMs: 2 } as const;
const ORDER_TIMEOUT_MS = 60_000;
/** How often a customer asks again about an order whose outcome is pending, and how long between. */
const PENDING_RETRIES = { max: 20, pauseMs: 250 } as const;
/** Clients the simulator orders for: seed clients past the case study's ten, before registered ones. */
const CLIENT_IDS = { above: 10, below: 1000, perSite: 8 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Cluster {
  readonly sites: Record<SiteId, pg.Pool>;
  readonly products: pg.Pool;
  readonly coordinator: pg.Pool;
  close(): Promise<void>;
}

function openCluster(topology: Topology, connections: number): Cluster {
  const state = readState(topology);
  const pool = (role: 'products' | 'coordinator' | SiteId) =>
    toolPool({ connectionString: connectionString(topology, currentPrimary(topology, state, role)), max: connections, application_name: 'teranga-simulator' });
  const sites = Object.fromEntries(SITE_IDS.map((s) => [s, pool(s)])) as Record<SiteId, pg.Pool>;
  const products = pool('products');
  const coordinator = pool('coordinator');
  return {
    sites,
    products,
    coordinator,
    close: async () => {
      await Promise.all([...Object.values(sites), products, coordinator].map((p) => p.end()));
    },
  };
}

/** The K cheapest products outside the case study's rows, which other checks compare with the seed. */
/**
 * Hot products come from the seeded catalogue, past the case study's rows (101–110) and before the
 * products created since (the id sequence starts at 1000, migrations/products/001), so that the
 * choice depends on the seed alone, not on what a test or an operator added to the cluster.
 */
const HOT_PRODUCT_IDS = { above: 110, below: 1000 } as const;

async function chooseHotProducts(cluster: Cluster, count: number): Promise<number[]> {
  const { rows } = await cluster.products.query<{ id: number }>('SELECT id FROM produit WHERE id > $2 AND id < $3 ORDER BY prix, id LIMIT $1', [
    count,
    HOT_PRODUCT_IDS.above,
    HOT_PRODUCT_IDS.below,
  ]);
  if (rows.length < count) throw new Error(`only ${rows.length} products can be hot, ${count} asked`);
  return rows.map((r) => r.id);
}

async function chooseClients(cluster: Cluster): Promise<{ id: number; site: SiteId }[]> {
  const { rows } = await cluster.coordinator.query<{ client_id: number; site: string }>(
    'SELECT client_id, site FROM client_site WHERE client_id > $1 AND client_id < $2 ORDER BY client_id',
    [CLIENT_IDS.above, CLIENT_IDS.below],
  );
  const clients: { id: number; site: SiteId }[] = [];
  for (const site of SITE_IDS) {
    clients.push(...rows.filter((r) => r.site === site).slice(0, CLIENT_IDS.perSite).map((r) => ({ id: r.client_id, site })));
  }
  return clients;
}

async function snapshot(cluster: Cluster, hot: readonly number[]): Promise<Map<Item, { quantity: number; version: number }>> {
  const out = new Map<Item, { quantity: number; version: number }>();
  await Promise.all(SITE_IDS.map(async (site) => {
    for (const row of await readStock(cluster.sites[site], hot)) out.set(itemOf(site, row.productId), { quantity: row.quantity, version: row.version });
  }));
  return out;
}

// --- the orders coordinator

function ordersEndpoint(topology: Topology): { graphql: string; stats: string; headers: Record<string, string> } {
  const url = serviceByName(topology, 'orders').url;
  return {
    graphql: url,
    stats: url.replace(/\/graphql$/, '/internal/concurrency'),
    headers: { 'content-type': 'application/json', ...internalHeaders(topology) },
  };
}

interface CoordinatorStats {
  strategy: ConcurrencyStrategy;
  orders: number;
  attempts: number;
}

async function coordinatorStats(topology: Topology): Promise<CoordinatorStats> {
  const endpoint = ordersEndpoint(topology);
  let response: Response;
  try {
    response = await fetch(endpoint.stats, { headers: endpoint.headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new Error(`the orders coordinator does not answer at ${endpoint.stats} (${(error as Error).message}): is the cluster up? (npx teranga up)`);
  }
  if (!response.ok) throw new Error(`${endpoint.stats}: HTTP ${response.status}`);
  return (await response.json()) as CoordinatorStats;
}

/** Switches the running coordinator's strategy (POST /internal/concurrency): no restart, nothing lost. */
async function switchStrategy(topology: Topology, strategy: ConcurrencyStrategy): Promise<void> {
  const endpoint = ordersEndpoint(topology);
  const response = await fetch(endpoint.stats, { method: 'POST', headers: endpoint.headers, body: JSON.stringify({ strategy }), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${endpoint.stats} refused the switch to ${strategy}: HTTP ${response.status} ${await response.text()}`);
}

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id } error { code } }
}`;

async function placeOrder(topology: Topology, order: SimulatedOrder, key: string): Promise<Omit<OrderAnswer, 'latencyMs' | 'index'>> {
  const endpoint = ordersEndpoint(topology);
  const input = {
    clientId: String(order.clientId),
    items: order.lines.map((l) => ({ productId: String(l.productId), quantity: l.quantity })),
    idempotencyKey: key,
    paymentMethod: 'CASH_ON_DELIVERY',
  };
  let response: Response;
  try {
    response = await fetch(endpoint.graphql, {
      method: 'POST',
      headers: endpoint.headers,
      body: JSON.stringify({ query: PLACE_ORDER, variables: { i: input } }),
      signal: AbortSignal.timeout(ORDER_TIMEOUT_MS),
    });
  } catch (error) {
    return { outcome: (error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'UNREACHABLE', orderId: null };
  }
  const body = (await response.json().catch(() => ({}))) as {
    data?: { placeOrder: { order: { id: string } | null; error: { code: string } | null } };
    errors?: { extensions?: { code?: string } }[];
  };
  const result = body.data?.placeOrder;
  if (result?.order) return { outcome: 'CONFIRMED', orderId: result.order.id };
  return { outcome: result?.error?.code ?? body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}`, orderId: null };
}

// --- the unsafe mode

/**
 * Reads every warehouse's stock, allocates as the coordinator would, waits, then writes back each
 * quantity read minus what it takes: no lock, no check at write time. Concurrent ones lose updates.
 */
async function unsafeOrder(cluster: Cluster, order: SimulatedOrder, delayMs: number): Promise<{ outcome: string; accesses: RecordedAccess[] }> {
  const warehouses = warehouseOrderFrom(order.clientSite);
  const seen = new Map<Item, { value: number; version: number }>();
  const stock = new Map<number, Map<SiteId, number>>();
  for (const site of warehouses) {
    for (const line of order.lines) {
      const row = await readUnlocked(cluster.sites[site], line.productId);
      seen.set(itemOf(site, line.productId), { value: row.quantity, version: row.version });
      if (!stock.has(line.productId)) stock.set(line.productId, new Map());
      stock.get(line.productId)!.set(site, row.quantity);
    }
  }
  const allocation = allocate(order.lines, warehouses, stock);
  if (!allocation.ok) return { outcome: 'OUT_OF_STOCK', accesses: [] };
  await sleep(delayMs);
  const taken = new Map<Item, { site: SiteId; productId: number; quantity: number }>();
  for (const a of allocation.allocations) {
    const item = itemOf(a.site, a.productId);
    taken.set(item, { site: a.site, productId: a.productId, quantity: (taken.get(item)?.quantity ?? 0) + a.quantity });
  }
  const accesses: RecordedAccess[] = [];
  for (const [item, t] of taken) {
    const read = seen.get(item)!;
    const written = await writeBlindly(cluster.sites[t.site], t.productId, read.value - t.quantity);
    accesses.push({ item, read, write: { value: written.quantity, version: written.version } });
  }
  return { outcome: 'CONFIRMED', accesses };
}

// --- history from the sites' ledgers

function transactionIdOf(site: SiteId, line: LedgerLine): string {
  if (line.orderId && line.motif === 'COMMANDE') return line.orderId;
  if (line.orderId) return `${line.motif.toLowerCase()}:${line.orderId}`;
  return `${line.motif.toLowerCase()}:${site}:${line.id}`;
}

async function recordedChanges(cluster: Cluster, marks: Record<SiteId, number>, hot: readonly number[]) {
  const transactions = new Map<string, RecordedAccess[]>();
  const changes: StockChange[] = [];
  for (const site of SITE_IDS) {
    for (const line of await ledgerSince(cluster.sites[site], marks[site], hot)) {
      const tx = transactionIdOf(site, line);
      const item = itemOf(site, line.productId);
      changes.push({ tx, item, delta: line.delta });
      if (!transactions.has(tx)) transactions.set(tx, []);
      // a change from before migration 003 has no values: it counts for the invariants only
      if (line.version !== null && line.before !== null && line.after !== null) {
        // the write bumped the version by one under the lock the read was made with
        transactions.get(tx)!.push({ item, read: { value: line.before, version: line.version - 1 }, write: { value: line.after, version: line.version } });
      }
    }
  }
  return { transactions, changes };
}

// --- the run

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const { topology, strategy } = options;
  const progress = options.progress ?? (() => {});
  const maxLines = options.maxLines ?? DEFAULTS.maxLines;
  const maxQuantity = options.maxQuantity ?? DEFAULTS.maxQuantity;
  const seed = options.seed ?? 1;
  const cluster = openCluster(topology, Math.max(4, options.concurrency));
  let restoreStrategy: ConcurrencyStrategy | null = null;
  try {
    if (strategy !== 'none') {
      const running = (await coordinatorStats(topology)).strategy;
      if (running !== strategy) {
        progress(`switching the orders coordinator to ${strategy} (it ran ${running})`);
        await switchStrategy(topology, strategy);
        restoreStrategy = running;
      }
    }
    const hot = await chooseHotProducts(cluster, options.hotProducts);
    const clients = await chooseClients(cluster);
    const stockPerProduct = options.stock ?? Math.ceil(2 * expectedDemandPerProduct({ orders: options.orders, hotProducts: hot.length, maxLines, maxQuantity }));
    const workload = generateWorkload({ orders: options.orders, hotProducts: hot, clients, maxLines, maxQuantity, seed });

    const found = await snapshot(cluster, hot);
    const marksBefore = Object.fromEntries(await Promise.all(SITE_IDS.map(async (s) => [s, await ledgerMark(cluster.sites[s])]))) as Record<SiteId, number>;
    progress(`hot products ${hot.join(', ')}: ${stockPerProduct} units each at its home warehouse`);
    try {
      await Promise.all(hot.flatMap((productId, i) => SITE_IDS.map((site) =>
        adjustStock(cluster.sites[site], productId, site === homeWarehouse(i) ? stockPerProduct : 0))));
      const initial = await snapshot(cluster, hot);
      const marks = Object.fromEntries(await Promise.all(SITE_IDS.map(async (s) => [s, await ledgerMark(cluster.sites[s])]))) as Record<SiteId, number>;
      const statsBefore = strategy === 'none' ? null : await coordinatorStats(topology);

      const runId = randomBytes(4).toString('hex');
      const answers: OrderAnswer[] = [];
      const unsafeRecords: RecordedTransaction[] = [];
      let pendingRetries = 0;
      const started = performance.now();
      const run = async (order: (typeof workload)[number], i: number) => {
        const t0 = performance.now();
        if (strategy === 'none') {
          const { outcome, accesses } = await unsafeOrder(cluster, order, options.writeDelayMs ?? DEFAULTS.writeDelayMs);
          answers.push({ index: i, outcome, orderId: null, latencyMs: performance.now() - t0 });
          unsafeRecords.push({ id: `sim-${i}`, status: outcome === 'CONFIRMED' ? 'committed' : 'aborted', accesses });
        } else {
          // SITE_UNAVAILABLE means "outcome pending, retry with the same key" (a site answered too
          // late, as on a loaded machine): a customer asks again until the outcome is settled
          const key = `sim-${runId}-${i}`;
          let answer = await placeOrder(topology, order, key);
          for (let retry = 0; answer.outcome === 'SITE_UNAVAILABLE' && retry < PENDING_RETRIES.max; retry++) {
            pendingRetries++;
            await sleep(PENDING_RETRIES.pauseMs);
            answer = await placeOrder(topology, order, key);
          }
          answers.push({ index: i, ...answer, latencyMs: performance.now() - t0 });
        }
      };
      progress(`${workload.length} orders, ${options.concurrency} at a time, strategy ${strategy}`);
      await eachAtMost(workload, options.concurrency, run);
      const elapsedMs = performance.now() - started;
      const statsAfter = statsBefore ? await coordinatorStats(topology) : null;

      const final = await snapshot(cluster, hot);
      let records: RecordedTransaction[];
      let committed: StockChange[];
      if (strategy === 'none') {
        records = unsafeRecords;
        committed = unsafeRecords.filter((t) => t.status === 'committed').flatMap((t) =>
          t.accesses.filter((a) => a.write).map((a) => ({ tx: t.id, item: a.item, delta: a.write!.value - a.read.value })));
      } else {
        const { transactions, changes } = await recordedChanges(cluster, marks, hot);
        records = [...transactions].map(([id, accesses]) => ({ id, status: 'committed', accesses }));
        // refused orders leave nothing at the sites: they appear as aborted transactions
        records.push(...answers.filter((a) => a.outcome !== 'CONFIRMED').map((a): RecordedTransaction => ({ id: `refused-${a.index}`, status: 'aborted', accesses: [] })));
        committed = changes;
      }
      const history = historyFromRecords(records);
      const quantities = (m: Map<Item, { quantity: number }>) => new Map([...m].map(([item, v]) => [item, v.quantity]));
      const serializability = checkConflictSerializability(history);
      const violations = checkStockInvariants({ initial: quantities(initial), final: quantities(final), committed, history });

      const outcomes: Record<string, number> = {};
      for (const a of answers) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
      const latencies = answers.map((a) => a.latencyMs).sort((a, b) => a - b);
      return {
        strategy,
        orders: workload.length,
        concurrency: options.concurrency,
        hotProducts: hot,
        stockPerProduct,
        seed,
        elapsedMs,
        outcomes,
        pendingRetries,
        attempts: statsBefore && statsAfter ? statsAfter.attempts - statsBefore.attempts : null,
        attemptedOrders: statsBefore && statsAfter ? statsAfter.orders - statsBefore.orders : null,
        latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
        transactions: records.length,
        serializability,
        violations,
      };
    } finally {
      await restoreStock(cluster, hot, found, marksBefore);
      progress('hot products put back as they were');
    }
  } finally {
    await cluster.close();
    if (restoreStrategy) {
      progress(`switching the orders coordinator back to ${restoreStrategy}`);
      await switchStrategy(topology, restoreStrategy);
    }
  }
}

/**
 * Each hot item back to the quantity found, with one adjustment that brings the ledger back too:
 * the ledger must again explain the stock, also after `none` wrote it without ledger lines.
 */
async function restoreStock(cluster: Cluster, hot: readonly number[], found: Map<Item, { quantity: number }>, marks: Record<SiteId, number>): Promise<void> {
  await Promise.all(SITE_IDS.map(async (site) => {
    const lines = await ledgerSince(cluster.sites[site], marks[site], hot);
    for (const productId of hot) {
      const before = found.get(itemOf(site, productId))?.quantity;
      if (before === undefined) continue;
      const ledgered = lines.filter((l) => l.productId === productId).reduce((sum, l) => sum + l.delta, 0);
      await adjustStock(cluster.sites[site], productId, before, -ledgered);
    }
  }));
}
