/**
 * The benchmarks: every figure printed beside its baseline from the same run, as a ratio.
 * Run against a running cluster (`npx teranga up`):
 *
 *   npm run bench               full run
 *   npm run bench -- --quick    smoke run (under 3 minutes)
 *
 * Not tests: nothing passes or fails on time.
 */
import os from 'node:os';
import { SITES } from '../lib/sites.ts';
import { serviceByName, topologyFromEnv } from '../lib/topology.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { placement } from '../lib/placement.ts';
import { startBaseline } from './baseline/server.ts';
import { bearer } from './credentials.ts';
import { fixtureSet, prepareFixtures } from './fixtures.ts';
import { fmt, post, ratioRow, runLoad, summarize, type Summary } from './load.ts';
import { countStatements, resetStatements } from './statements.ts';

const quick = process.argv.includes('--quick');
const topology = topologyFromEnv();
const gateway = serviceByName(topology, 'gateway').url;
const READS = quick ? 150 : 1500;
const ORDERS = quick ? 60 : 400;

const CATALOG = '{ products(limit: 200) { id name price stock inventory { site quantity } } }';
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';

type Headers = Record<string, string>;

async function load(url: string, concurrency: number, requests: number, query: (i: number) => { q: string; v?: Record<string, unknown>; h?: Headers }): Promise<Summary> {
  // warm up connections, plans and caches outside the measurement
  await runLoad({ concurrency, requests: Math.min(requests, concurrency * 3), fn: async (i) => void (await send(url, query(i))) });
  const result = await runLoad({ concurrency, requests, fn: async (i) => void (await send(url, query(i))) });
  if (result.errors) console.log(`  (${result.errors} errors, first: ${result.firstError})`);
  return summarize(result);
}

async function send(url: string, r: { q: string; v?: Record<string, unknown>; h?: Headers }) {
  const data = await post<{ placeOrder?: { error: { code: string; message: string } | null } }>(url, r.q, r.v, r.h);
  if (data.placeOrder?.error) throw new Error(`${data.placeOrder.error.code}: ${data.placeOrder.error.message}`);
}

function header(title: string) {
  console.log(`\n== ${title}`);
  console.log(`${''.padEnd(44)} ${'value'.padStart(16)} ${'baseline'.padStart(16)}  ratio`);
}

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`settings: ${quick ? 'quick' : 'full'} run; ${READS} reads and ${ORDERS} orders per measurement; gateway ${gateway}; PostgreSQL fsync on, synchronous standbys as booted`);

await prepareFixtures(topology);
const clientSites = new Map(SEED_CLIENTS.map((c) => [c.id, placement(c.ville).site]));
const baseline = await startBaseline(topology, clientSites);
try {
  // 1. read path
  header('1. read path: catalog (all products with price, stock and inventory)');
  for (const c of [1, 32]) {
    const dist = await load(gateway, c, READS, () => ({ q: CATALOG }));
    const base = await load(baseline.url, c, READS, () => ({ q: CATALOG }));
    console.log(ratioRow(`throughput, ${c} client(s) (req/s)`, dist.throughput, base.throughput, 'req/s'));
    console.log(ratioRow(`p50, ${c} client(s)`, dist.p50, base.p50, 'ms'));
    console.log(ratioRow(`p99, ${c} client(s)`, dist.p99, base.p99, 'ms'));
  }

  // 2. locality
  console.log('\n== 2. locality: a customer reads their profile and orders');
  const PROFILE = 'query($id: ID!) { client(id: $id) { name city orders { id total status lines { quantity site } } } }';
  const thiesClient = SEED_CLIENTS.find((c) => placement(c.ville).site === 'thies')!;
  const dakarClient = SEED_CLIENTS.find((c) => placement(c.ville).site === 'dakar')!;
  const routes: string[] = [];
  for (const client of [thiesClient, dakarClient]) {
    const h = { ...(await bearer(topology, { clientId: client.id })), 'x-teranga-debug-routing': '1' };
    const probe = await post(gateway, PROFILE, { id: String(client.id) }, h);
    const touched = ((probe.extensions?.routing as { subgraph: string; site: string | null }[]) ?? []).map((r) => (r.site ? `${r.subgraph}:${r.site}` : r.subgraph));
    routes.push(`${client.nom} (${client.ville}) touched: ${touched.join(', ') || '(none recorded)'}`);
  }
  routes.forEach((r) => console.log(`  ${r}`));
  const thiesH = await bearer(topology, { clientId: thiesClient.id });
  const dakarH = await bearer(topology, { clientId: dakarClient.id });
  const thies = await load(gateway, 1, READS, () => ({ q: PROFILE, v: { id: String(thiesClient.id) }, h: thiesH }));
  const dakar = await load(gateway, 1, READS, () => ({ q: PROFILE, v: { id: String(dakarClient.id) }, h: dakarH }));
  console.log(`${''.padEnd(44)} ${'Thiès'.padStart(16)} ${'Dakar'.padStart(16)}  ratio`);
  console.log(ratioRow('p50 (ms)', thies.p50, dakar.p50, 'ms'));
  console.log(ratioRow('p99 (ms)', thies.p99, dakar.p99, 'ms'));

  // 3. write path
  const client = SEED_CLIENTS.find((c) => placement(c.ville).site === 'dakar')!;
  const customer = await bearer(topology, { clientId: client.id });
  const order = (items: number[]) => ({ clientId: String(client.id), items: items.map((id) => ({ productId: String(id), quantity: 1 })) });
  const results: Record<string, Summary> = {};
  for (const c of [1, 16]) {
    // each concurrent client orders its own articles: the protocol is measured, not one hot row
    const perWorker = (kind: 'oneSite' | 'threeSites') => (i: number) => ({ q: PLACE, v: { i: order(fixtureSet(i % c)[kind]) }, h: customer });
    results[`one-${c}`] = await load(gateway, c, ORDERS, perWorker('oneSite'));
    results[`three-${c}`] = await load(gateway, c, ORDERS, perWorker('threeSites'));
    results[`base-${c}`] = await load(baseline.url, c, ORDERS, (i) => ({ q: PLACE, v: { i: order(fixtureSet(i % c).threeSites) } }));
  }
  header('3. write path: placeOrder of three articles');
  for (const c of [1, 16]) {
    const one = results[`one-${c}`]!;
    const three = results[`three-${c}`]!;
    const base = results[`base-${c}`]!;
    console.log(ratioRow(`3 sites (2PC) vs 1 site, p50, ${c} client(s)`, three.p50, one.p50, 'ms'));
    console.log(ratioRow(`3 sites (2PC) vs 1 site, p99, ${c} client(s)`, three.p99, one.p99, 'ms'));
    console.log(ratioRow(`1 site vs single node, p50, ${c} client(s)`, one.p50, base.p50, 'ms'));
    console.log(ratioRow(`3 sites vs single node, p50, ${c} client(s)`, three.p50, base.p50, 'ms'));
    console.log(ratioRow(`throughput 3 sites vs 1 site, ${c} client(s)`, three.throughput, one.throughput, 'ord/s'));
    console.log(ratioRow(`throughput 1 site vs single node, ${c} client(s)`, one.throughput, base.throughput, 'ord/s'));
  }
  console.log(`  targets: 3-site p50 ≤ 1.6× 1-site with 1 client (measured ${fmt(results['three-1']!.p50 / results['one-1']!.p50, 2)}×), ≤ 2.5× with 16 (measured ${fmt(results['three-16']!.p50 / results['one-16']!.p50, 2)}×)`);

  // 4. batching
  console.log('\n== 4. batching: SQL statements per catalog request (pg_stat_statements on every server)');
  const counts: number[] = [];
  for (const limit of [10, 50]) {
    await resetStatements(topology);
    await post(gateway, `{ products(limit: ${limit}) { id name price stock inventory { site quantity } } }`);
    counts.push(await countStatements(topology));
  }
  console.log(ratioRow('statements, 50 products vs 10 products', counts[1]!, counts[0]!, 'stmts'));
  console.log(`  sites: ${Object.values(SITES).map((s) => s.code).join(', ')}; target: equal`);
} finally {
  await baseline.stop();
}
