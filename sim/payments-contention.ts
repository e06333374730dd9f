/**
 * Money under contention and crashes, against the running cluster: many concurrent keyed orders
 * on one hot product (so attempts conflict and retry, and the stock runs out), a `kill -9` of the
 * orders coordinator in the middle and of the payment provider once, each restarted by `up`.
 * Every customer retries with the same key while the outcome is unknown. Once recovery and the
 * relays have settled everything, the scenario checks the money: reconciliation of every site
 * with the provider's ledger, every confirmed order captured exactly once at the provider, every
 * refused order with nothing captured.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { toolPool } from '../lib/db/tool-client.ts';
import { isServiceRunning, up } from '../cluster/cluster.ts';
import { currentPrimary } from '../cluster/running-topology.ts';
import { localSecrets } from '../cluster/secrets.ts';
import { readState } from '../cluster/state.ts';
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { PaymentsClient, type ProviderPayment } from '../lib/payments/client.ts';
import { reconcileCluster } from '../lib/payments/reconcile-sources.ts';
import type { Mismatch } from '../lib/payments/reconcile.ts';
import { SITE_IDS, type SiteId } from '../lib/sites.ts';
import { connectionString, serviceByName, type DatabaseRole, type ServiceName, type Topology } from '../lib/topology.ts';
import { eachAtMost } from '../lib/each-at-most.ts';

export interface ContentionOptions {
  orders: number;
  concurrency: number;
  /** The hot product (default: the cheapest with enough stock beyond the case study's rows). */
  productId?: number;
  /** `kill -9` the orders coordinator once this many orders have been answered (0: never). */
  killOrdersAfter: number;
  /** `kill -9` the payment provider once this many orders have been answered (0: never). */
  killPaymentsAfter: number;
  /** Extra environment for the services `up` restarts. */
  serviceEnv?: Record<string, string>;
  progress?: (message: string) => void;
}

export interface ContentionReport {
  orders: number;
  productId: number;
  confirmed: number;
  refused: Record<string, number>;
  /** Customer re-sends with the same key (unknown outcome, coordinator down). */
  customerRetries: number;
  /** Attempts beyond the first, summed over the coordinator's lives. */
  attemptRetries: number;
  conflicts: number;
  kills: string[];
  /** Confirmed orders whose payment is not CAPTURED exactly once at the provider. */
  confirmedNotCaptured: string[];
  /** Refused orders with a capture at the provider. */
  refusedButCaptured: string[];
  /** Reconciliation's mismatches on this scenario's orders, and on the whole cluster. */
  mismatches: Mismatch[];
  clusterMismatches: number;
  checkedPayments: number;
  stockBefore: number;
  stockAfter: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }`;

async function withPool<T>(topology: Topology, role: DatabaseRole, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = toolPool({ connectionString: connectionString(topology, currentPrimary(topology, readState(topology), role)), max: 4, application_name: 'teranga-contention' });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

function kill9(topology: Topology, name: ServiceName): number | null {
  const pid = readState(topology)?.services[name]?.pid;
  if (!pid) return null;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return null;
  }
  return pid;
}

export async function runPaymentsContention(topology: Topology, options: ContentionOptions): Promise<ContentionReport> {
  const progress = options.progress ?? (() => {});
  const started = Date.now();
  const secret = process.env.TERANGA_INTERNAL_SECRET || localSecrets(topology).TERANGA_INTERNAL_SECRET;
  const headers = { 'content-type': 'application/json', [INTERNAL_SECRET_HEADER]: secret };
  const ordersUrl = serviceByName(topology, 'orders').url;
  const statsUrl = ordersUrl.replace(/\/graphql$/, '/internal/concurrency');

  const clients = await withPool(topology, 'coordinator', async (pool) =>
    (await pool.query<{ client_id: number; site: SiteId }>('SELECT client_id, site FROM client_site WHERE client_id <= 40 ORDER BY client_id')).rows);
  const productId = options.productId ?? (await withPool(topology, 'products', async (pool) =>
    (await pool.query<{ id: number }>('SELECT id FROM produit WHERE id > 110 AND prix <= 20000 ORDER BY prix, id LIMIT 1')).rows[0]!.id));
  const stockOf = async () => {
    let total = 0;
    for (const site of SITE_IDS) {
      total += await withPool(topology, site, async (pool) => (await pool.query<{ q: number }>('SELECT quantite AS q FROM stock WHERE produit_id = $1', [productId])).rows[0]?.q ?? 0);
    }
    return total;
  };
  const stockBefore = await stockOf();
  // demand above the stock: some orders must be refused; quantities make many orders span sites
  const quantityOf = (i: number) => 1 + (i % 4);
  const plan = Array.from({ length: options.orders }, (_, i) => ({ i, client: clients[i % clients.length]!, key: `contention-${randomUUID()}`, quantity: quantityOf(i) }));

  // the coordinator's counters restart with it: keep the last reading of each life
  let lives: { attempts: number; orders: number; conflicts: number }[] = [];
  let current = { attempts: 0, orders: 0, conflicts: 0 };
  const readStats = async () => {
    try {
      const response = await fetch(statsUrl, { headers, signal: AbortSignal.timeout(1_000) });
      const stats = (await response.json()) as { attempts: number; orders: number; conflicts: number };
      if (stats.attempts < current.attempts) lives.push(current);
      current = stats;
    } catch {
      // down: the last reading stands
    }
  };
  const sampler = setInterval(() => void readStats(), 150);

  let answered = 0;
  let customerRetries = 0;
  const kills: string[] = [];
  const answers = new Map<string, { orderId: string | null; code: string | null }>();
  let restarting: Promise<void> | null = null;
  const killed = new Set<ServiceName>();
  const maybeKill = async () => {
    if (restarting) return;
    const due: ServiceName[] = [];
    if (options.killOrdersAfter > 0 && answered >= options.killOrdersAfter && !killed.has('orders')) due.push('orders');
    if (options.killPaymentsAfter > 0 && answered >= options.killPaymentsAfter && !killed.has('payments')) due.push('payments');
    if (due.length === 0) return;
    // decided before any await: concurrent workers must not kill the same service twice
    for (const name of due) killed.add(name);
    for (const name of due) {
      if (name === 'orders') await readStats();
      const pid = kill9(topology, name);
      kills.push(`${name} (pid ${pid}) after ${answered} answers`);
      progress(`kill -9 ${name} (pid ${pid}) after ${answered} of ${options.orders} orders answered`);
    }
    restarting = (async () => {
      // `up` restarts what is not running: wait until the killed processes are really gone
      for (let i = 0; i < 100 && due.some((name) => isServiceRunning(serviceByName(topology, name), readState(topology)?.services[name])); i++) await sleep(50);
      await sleep(300);
      await up(topology, { serviceEnv: options.serviceEnv ?? {} });
      progress(`teranga up: ${due.join(', ')} restarted`);
    })().finally(() => {
      restarting = null;
    });
  };

  const placeOne = async (order: (typeof plan)[number]) => {
    for (let attempt = 0; attempt < 60; attempt++) {
      if (attempt > 0) {
        customerRetries++;
        await sleep(200 + Math.random() * 300);
      }
      let body: { data?: { placeOrder: { order: { id: string } | null; error: { code: string; message: string } | null } }; errors?: unknown[] };
      try {
        const response = await fetch(ordersUrl, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query: PLACE_ORDER, variables: { i: { clientId: String(order.client.client_id), items: [{ productId: String(productId), quantity: order.quantity }], idempotencyKey: order.key, paymentMethod: 'WAVE' } } }),
          signal: AbortSignal.timeout(30_000),
        });
        body = (await response.json()) as typeof body;
      } catch {
        continue; // the coordinator is down or died mid-call: the same key again
      }
      const result = body.data?.placeOrder;
      if (!result) continue;
      // an outcome that is unknown yet or a coordinator that could not reach a site: ask again
      if (result.error?.code === 'SITE_UNAVAILABLE') continue;
      answers.set(order.key, { orderId: result.order?.id ?? null, code: result.error?.code ?? null });
      return;
    }
    answers.set(order.key, { orderId: null, code: 'NO_ANSWER' });
  };

  await eachAtMost(plan, options.concurrency, async (next) => {
    await placeOne(next);
    answered++;
    await maybeKill();
  });
  await restarting;
  clearInterval(sampler);
  await readStats();
  lives = [...lives, current];
  progress(`${answered} orders answered; waiting for recovery and the relays to settle`);

  // settled: nothing prepared, no intent in flight, no payment operation left to deliver
  let left: string[] = [];
  const settled = async () => {
    left = [];
    for (const site of SITE_IDS) {
      const busy = await withPool(topology, site, async (pool) => (await pool.query<{ prepared: number; intents: number; outbox: number }>(
        `SELECT (SELECT count(*)::int FROM pg_prepared_xacts WHERE gid LIKE 'tg:%') AS prepared,
                (SELECT count(*)::int FROM intention_commande WHERE statut = 'PENDING') AS intents,
                (SELECT count(*)::int FROM sortie_paiement WHERE statut = 'PENDING') AS outbox`)).rows[0]!);
      if (busy.prepared + busy.intents + busy.outbox > 0) left.push(`${site}: ${busy.prepared} prepared, ${busy.intents} pending intents, ${busy.outbox} payment operations`);
    }
    return left.length === 0;
  };
  for (let i = 0; !(await settled()); i++) {
    if (i > 600) throw new Error(`the cluster did not settle within 2 minutes (${left.join('; ')})`);
    await sleep(200);
  }

  // the truth at each client's site: the intent of each key
  const outcome = new Map<string, { orderId: string; status: string; code: string | null }>();
  for (const site of SITE_IDS) {
    const rows = await withPool(topology, site, async (pool) => (await pool.query<{ cle_idempotence: string; commande_id: string; statut: string; code_erreur: string | null }>(
      `SELECT cle_idempotence, commande_id, statut, code_erreur FROM intention_commande WHERE cle_idempotence = ANY($1)`, [plan.map((p) => p.key)])).rows);
    for (const r of rows) outcome.set(r.cle_idempotence, { orderId: r.commande_id, status: r.statut, code: r.code_erreur });
  }
  const provider = new PaymentsClient({ topology, secret, timeoutMs: 30_000 });
  const ledger = await provider.ledger();
  const byOrder = new Map<string, ProviderPayment[]>();
  for (const p of ledger) byOrder.set(p.orderId, [...(byOrder.get(p.orderId) ?? []), p]);

  const confirmedNotCaptured: string[] = [];
  const refusedButCaptured: string[] = [];
  const refused: Record<string, number> = {};
  let confirmed = 0;
  for (const order of plan) {
    const truth = outcome.get(order.key);
    const answer = answers.get(order.key);
    if (truth?.status === 'CONFIRMED') {
      confirmed++;
      const payments = byOrder.get(truth.orderId) ?? [];
      if (payments.length !== 1 || payments[0]!.status !== 'CAPTURED' || payments[0]!.captures !== 1) confirmedNotCaptured.push(truth.orderId);
      if (answer && answer.orderId !== truth.orderId) confirmedNotCaptured.push(truth.orderId);
    } else {
      const code = truth?.code ?? answer?.code ?? 'NOT_RECORDED';
      refused[code] = (refused[code] ?? 0) + 1;
      if (truth && (byOrder.get(truth.orderId) ?? []).some((p) => p.status === 'CAPTURED' || p.status === 'REFUNDED' || (p.captures ?? 0) > 0)) refusedButCaptured.push(truth.orderId);
      if (answer?.orderId) confirmedNotCaptured.push(answer.orderId); // told confirmed, but not confirmed
    }
  }

  const report = await reconcileCluster(topology, readState(topology), secret);
  const ours = new Set([...outcome.values()].map((o) => o.orderId));
  const attempts = lives.reduce((s, l) => s + l.attempts, 0);
  const coordinatorOrders = lives.reduce((s, l) => s + l.orders, 0);
  return {
    orders: options.orders,
    productId,
    confirmed,
    refused,
    customerRetries,
    attemptRetries: attempts - coordinatorOrders,
    conflicts: lives.reduce((s, l) => s + l.conflicts, 0),
    kills,
    confirmedNotCaptured,
    refusedButCaptured,
    mismatches: report.mismatches.filter((m) => ours.has(m.orderId)),
    clusterMismatches: report.mismatches.length,
    checkedPayments: report.checked,
    stockBefore,
    stockAfter: await stockOf(),
    seconds: (Date.now() - started) / 1000,
  };
}

export function formatContention(r: ContentionReport): string {
  return [
    `orders ${r.orders} on product ${r.productId} (stock ${r.stockBefore} → ${r.stockAfter}) in ${r.seconds.toFixed(1)} s`,
    `confirmed ${r.confirmed}, refused ${Object.entries(r.refused).map(([c, n]) => `${n} ${c}`).join(', ') || 0}`,
    `retries: ${r.attemptRetries} attempt retries (${r.conflicts} conflicts), ${r.customerRetries} customer re-sends with the same key`,
    `kills: ${r.kills.join('; ') || 'none'}`,
    `confirmed but not captured once: ${r.confirmedNotCaptured.length}; refused but captured: ${r.refusedButCaptured.length}`,
    `reconcile: ${r.mismatches.length} mismatches on these orders, ${r.clusterMismatches} on the whole cluster (${r.checkedPayments} payments checked)`,
  ].join('\n');
}
