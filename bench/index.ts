/**
 * The benchmarks: every figure printed beside its baseline from the same run, as a ratio.
 * Run against a running cluster (`npx teranga up`):
 *
 *   npm run bench                              full run
 *   npm run bench -- --quick                   smoke run (under 3 minutes)
 *   npm run bench -- --only write,batching     some sections only
 *
 * The geography sections (geo, standby-placement) measure the cluster under the simulated WAN, the
 * others without it: the bench restarts the cluster into the mode a section needs, after the
 * sections of the mode it is in, and back at the end (bench/wan-switch.ts). On a cluster started
 * with `teranga up --wan`, `--only geo,standby-placement` restarts nothing.
 *
 * Not tests: nothing passes or fails on time.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { placement } from '../lib/placement.ts';
import { SITES, type SiteId } from '../lib/sites.ts';
import { serviceByName, type Topology } from '../lib/topology.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { CLIENTS_SERVED, CLIENTS_TOTAL, splitStock, splitStockFixed } from '../seed/stock-split.ts';
import { figuresOf } from '../sim/simulation-report.ts';
import { simulate, type SimulationReport, type SimulationStrategy } from '../sim/simulator.ts';
import { DEFECTS, sweep } from '../sim/twopc/run.ts';
import { startBaseline, type Baseline } from './baseline/server.ts';
import { bearer } from './credentials.ts';
import { BENCH_CLIENT, fixtureSet, localArticle, prepareFixtures } from './fixtures.ts';
import { fmt, mergeLoads, percentile, post, ratioRow, runLoad, summarize, type LoadResult, type Summary } from './load.ts';
import { onPrimary } from './servers.ts';
import { measurePlacement } from './placement.ts';
import { runReplicationBench } from './replication.ts';
import { countStatements, resetStatements } from './statements.ts';
import { formatGeoMarkdown, geoFigures, productWriteFigures, standbyFigures, type GeoFigure, formatGeoText, formatProductWrites, formatStandbyPlacements, geoBench, productWrites, standbyLocations, standbyPlacements } from './geo.ts';
import { figure, recordedFigures, type RecordedRun } from './figures.ts';
import { benchPhases, clusterModes, switchCluster } from './wan-switch.ts';
import { EVERY_WAREHOUSE, STOCK_SCOPE_HEADER } from '../lib/stock-scope.ts';

const SECTIONS = ['read', 'breakdown', 'locality', 'write', 'batching', 'placement', 'contention', 'replication', 'sim2pc', 'geo', 'standby-placement'] as const;
/** Sections that measure the simulated WAN: a cluster started with `teranga up --wan`. */
const WAN_SECTIONS: readonly Section[] = ['geo', 'standby-placement'];
type Section = (typeof SECTIONS)[number];

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string', default: SECTIONS.join(',') }, record: { type: 'string' } },
});
const quick = flags.quick;
const only = new Set(flags.only.split(',').map((s) => s.trim()));
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only takes ${SECTIONS.join(', ')} (comma-separated), got "${name}"`);
}
// the WAN sections read the proxy's plan (ports, RTTs); the others connect directly, with the
// cluster restarted without the WAN for them (the contention section restarts the coordinator with
// this plain topology)
const modes = clusterModes(process.env);
const topology = modes.direct;
const wanTopology = modes.wanTopology;
const gateway = serviceByName(topology, 'gateway').url;
const READS = quick ? 150 : 1500;
const ORDERS = quick ? 60 : 400;
const SIMULATED_ORDERS = quick ? 100 : 500;
/** Seeds of the contention simulator: one seed is one schedule, not a comparison of strategies. */
const SEEDS = quick ? 2 : 3;
const PROFILE_ORDERS = 3;

const CATALOG = '{ products(limit: 200) { id name price stock inventory { site quantity } } }';
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';

type Headers = Record<string, string>;
interface Request {
  q: string;
  v?: Record<string, unknown>;
  h?: Headers;
}

interface Target {
  url: string;
  query: (i: number) => Request;
}

async function load(url: string, concurrency: number, requests: number, query: (i: number) => Request): Promise<Summary> {
  return (await sideBySide(concurrency, requests, [{ url, query }]))[0]!;
}

/** Rounds per measurement: the targets take turns, so a change in the machine's load hits all alike. */
const ROUNDS = 5;

/**
 * Measures the targets in turns of `requests / ROUNDS` requests each (A B C A B C …) rather than
 * one after the other: on a shared machine the background load drifts, and a ratio of two figures
 * taken minutes apart measures the drift as much as the systems.
 */
async function sideBySide(concurrency: number, requests: number, targets: readonly Target[]): Promise<Summary[]> {
  const perRound = Math.max(concurrency, Math.ceil(requests / ROUNDS));
  const rounds: LoadResult[][] = targets.map(() => []);
  for (const { url, query } of targets) {
    // warm up connections, plans and caches outside the measurement
    await runLoad({ concurrency, requests: Math.min(requests, concurrency * 3), fn: async (i) => void (await send(url, query(i))) });
  }
  let offset = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [t, { url, query }] of targets.entries()) {
      const base = offset;
      rounds[t]!.push(await runLoad({ concurrency, requests: perRound, fn: async (i) => void (await send(url, query(base + i))) }));
    }
    offset += perRound;
  }
  return rounds.map((results) => {
    const merged = mergeLoads(results);
    if (merged.errors) console.log(`  (${merged.errors} errors, first: ${merged.firstError})`);
    return summarize(merged);
  });
}

async function send(url: string, r: Request) {
  const data = await post<{ placeOrder?: { error: { code: string; message: string } | null } }>(url, r.q, r.v, r.h);
  if (data.placeOrder?.error) throw new Error(`${data.placeOrder.error.code}: ${data.placeOrder.error.message}`);
}

function header(title: string, value = 'value', baseline = 'baseline') {
  console.log(`\n== ${title}`);
  console.log(`${''.padEnd(44)} ${value.padStart(16)} ${baseline.padStart(16)}  ratio`);
}

/** A figure, its baseline and their ratio, keyed `key`, `key.baseline`, `key.ratio`. */
function ratioFigures(key: string, value: number, baseline: number, unit: string) {
  figure(key, value, unit);
  figure(`${key}.baseline`, baseline, unit);
  figure(`${key}.ratio`, value / baseline, '×');
}

async function readPath(baseline: Baseline) {
  header('1. read path: catalog (all products with price, stock and inventory), gateway vs single node');
  for (const c of [1, 32]) {
    const [dist, base] = (await sideBySide(c, READS, [
      { url: gateway, query: () => ({ q: CATALOG }) },
      { url: baseline.url, query: () => ({ q: CATALOG }) },
    ])) as [Summary, Summary];
    console.log(ratioRow(`throughput, ${c} client(s) (req/s)`, dist.throughput, base.throughput, 'req/s'));
    console.log(ratioRow(`p50, ${c} client(s)`, dist.p50, base.p50, 'ms'));
    console.log(ratioRow(`p99, ${c} client(s)`, dist.p99, base.p99, 'ms'));
    ratioFigures(`read.c${c}.throughput`, dist.throughput, base.throughput, 'req/s');
    ratioFigures(`read.c${c}.p50`, dist.p50, base.p50, 'ms');
    ratioFigures(`read.c${c}.p99`, dist.p99, base.p99, 'ms');
  }
  console.log('  targets: throughput ratio ≥ 0.5 with 1 client, ≥ 0.7 with 32');
}

/**
 * Where the catalog's time goes: the same read one piece at a time, one request after another,
 * against the subgraphs directly and through the gateway.
 */
async function readBreakdown(baseline: Baseline) {
  const CATALOG_INFO = '{ products(limit: 200) { id name price } }';
  const STOCK_PARTS = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { stock inventory { site quantity } } } }';
  const representations = Array.from({ length: 200 }, (_, i) => ({ __typename: 'Product', id: String(101 + i), name: '' }));
  const products = serviceByName(topology, 'products-subgraph').url;
  const dakar = serviceByName(topology, 'region-dakar').url;
  const steps: [string, string, string, Request][] = [
    ['gateway_empty', 'gateway, { __typename } (no fetch)', gateway, { q: '{ __typename }' }],
    ['products_empty', 'products subgraph, { __typename }', products, { q: '{ __typename }' }],
    ['products_200', 'products subgraph: 200 products (fetch 1)', products, { q: CATALOG_INFO }],
    // fetch 2: one site answers every warehouse, the others from its local copies (lib/stock-scope.ts)
    ['region_stock_200_every', 'one region: every warehouse’s stock of 200 products (fetch 2)', dakar, { q: STOCK_PARTS, v: { r: representations }, h: { [STOCK_SCOPE_HEADER]: EVERY_WAREHOUSE } }],
    // what fetch 2 falls back on when a copy is past its age bound: each site its own part
    ['region_stock_200', 'one region: its own part of 200 products (fallback, ×3 sites)', dakar, { q: STOCK_PARTS, v: { r: representations } }],
    // fetch 1 is served by the gateway's entity cache after the first request (gateway/entity-cache.ts)
    ['gateway_200_no_stock', 'gateway: 200 products, no stock (fetch 1, cached)', gateway, { q: CATALOG_INFO }],
    ['gateway_catalog', 'gateway: the catalog (fetch 1 cached, fetch 2 at one site)', gateway, { q: CATALOG }],
    ['baseline_catalog', 'single node: the catalog', baseline.url, { q: CATALOG }],
  ];
  console.log('\n== 1b. read path, piece by piece: p50 of each request alone, 1 client');
  for (const [key, label, url, request] of steps) {
    const summary = await load(url, 1, Math.min(READS, 300), () => request);
    console.log(`  ${label.padEnd(58)} ${fmt(summary.p50).padStart(7)} ms`);
    figure(`breakdown.read.${key}.p50`, summary.p50, 'ms');
  }
}

/**
 * Where a one-site order's time goes: the same order through the gateway and straight to the
 * orders subgraph (the gateway's hop, its planning and its entity fetch), the SQL statements it
 * runs at the client's site, and a bare commit on that site's primary (the synchronous standby's
 * replay wait that every commit pays).
 */
async function orderBreakdown() {
  const customer = await bearer(topology, { clientId: BENCH_CLIENT.id });
  const items = fixtureSet(0).oneSite.map((id) => ({ productId: String(id), quantity: 1 }));
  const request = () => ({ q: PLACE, v: { i: { clientId: String(BENCH_CLIENT.id), items } }, h: customer });
  const orders = serviceByName(topology, 'orders').url;
  const n = Math.min(ORDERS, 100);
  const viaGateway = await load(gateway, 1, n, request);
  const direct = await load(orders, 1, n, request);
  await resetStatements(topology);
  await send(gateway, request());
  const statements = await countStatements(topology, { database: BENCH_CLIENT.site });
  const commitMs = await onPrimary(topology, BENCH_CLIENT.site, async (c) => {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await c.query("SELECT pg_logical_emit_message(true, 'teranga-bench', '')");
      times.push(performance.now() - t0);
    }
    return percentile(times, 50);
  });
  console.log('\n== 1c. write path, piece by piece: a one-site order of three articles, p50, 1 client');
  console.log(`  ${'through the gateway'.padEnd(58)} ${fmt(viaGateway.p50).padStart(7)} ms`);
  console.log(`  ${'straight to the orders subgraph (no gateway hop)'.padEnd(58)} ${fmt(direct.p50).padStart(7)} ms`);
  console.log(`  ${'  so the gateway hop, planning and entity fetch'.padEnd(58)} ${fmt(viaGateway.p50 - direct.p50).padStart(7)} ms`);
  console.log(`  ${'a bare commit at the client site (sync standby replay)'.padEnd(58)} ${fmt(commitMs, 2).padStart(7)} ms`);
  console.log(`  ${'SQL statements on the data tables at the client site'.padEnd(58)} ${String(statements).padStart(7)}`);
  figure('breakdown.order.gateway.p50', viaGateway.p50, 'ms');
  figure('breakdown.order.direct.p50', direct.p50, 'ms');
  figure('breakdown.order.gateway_hop.p50', viaGateway.p50 - direct.p50, 'ms');
  figure('breakdown.order.bare_commit.p50', commitMs, 'ms', 2);
  figure('breakdown.order.statements', statements);
  await orderCalls(request);
}

/**
 * The calls behind one-site orders, read off the services' request log lines (each carries its
 * SQL round trips, commits and, at the coordinator, the duration of each call of the order):
 * orders sent with known request ids, their lines collected from every service's log.
 */
async function orderCalls(request: () => Request) {
  const { randomUUID } = await import('node:crypto');
  const { readFileSync, readdirSync } = await import('node:fs');
  const path = await import('node:path');
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = `bench-breakdown-${randomUUID()}`;
    ids.push(id);
    const r = request();
    await send(gateway, { ...r, h: { ...r.h, 'x-request-id': id } });
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const dir = path.join(topology.dataDir, 'logs');
  interface Line { requestId?: string; service?: string; durationMs?: number; sql?: number; commits?: number; steps?: [string, number][]; msg?: string }
  const wanted = new Set(ids);
  const lines: Line[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    for (const raw of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!raw.includes('bench-breakdown-')) continue;
      try {
        const line = JSON.parse(raw) as Line;
        if (line.msg === 'request' && line.requestId && wanted.has(line.requestId)) lines.push(line);
      } catch {
        // not a JSON line
      }
    }
  }
  const median = (values: number[]) => (values.length ? percentile(values, 50) : NaN);
  const services = [...new Set(lines.map((l) => l.service ?? '?'))].sort();
  console.log(`  per one-site order (medians over ${ids.length} orders, from the services' request logs):`);
  console.log(`    ${'service'.padEnd(22)} ${'calls'.padStart(5)} ${'server ms'.padStart(10)} ${'SQL'.padStart(5)} ${'commits'.padStart(8)}`);
  for (const service of services) {
    const of = lines.filter((l) => l.service === service);
    const calls = of.length / ids.length;
    console.log(`    ${service.padEnd(22)} ${fmt(calls, 1).padStart(5)} ${fmt(median(of.map((l) => l.durationMs ?? 0)), 1).padStart(10)} ${fmt((of.reduce((n, l) => n + (l.sql ?? 0), 0)) / ids.length, 1).padStart(5)} ${fmt((of.reduce((n, l) => n + (l.commits ?? 0), 0)) / ids.length, 1).padStart(8)}`);
    figure(`breakdown.order.calls.${service}`, calls, '', 1);
  }
  const steps = new Map<string, number[]>();
  for (const line of lines) for (const [name, ms] of line.steps ?? []) steps.set(name, [...(steps.get(name) ?? []), ms]);
  console.log('    the coordinator\'s calls, in order (ms, median):');
  for (const [name, values] of steps) console.log(`      ${name.padEnd(20)} ${fmt(median(values), 1).padStart(7)}`);
}

async function locality() {
  console.log('\n== 2. locality: a customer reads their profile and orders');
  const PROFILE = 'query($id: ID!) { client(id: $id) { name city orders { id total status lines { quantity site } } } }';
  // the case study's first clients of each site, which no other benchmark orders for
  const thiesClient = SEED_CLIENTS.find((c) => placement(c.ville).site === 'thies')!;
  const dakarClient = SEED_CLIENTS.find((c) => placement(c.ville).site === 'dakar')!;
  // the same read for both: each with (at least) PROFILE_ORDERS orders served by its own warehouse
  const targets: Target[] = [];
  for (const client of [thiesClient, dakarClient]) {
    const h = await bearer(topology, { clientId: client.id });
    const { client: before } = await post<{ client: { orders: unknown[] } }>(gateway, PROFILE, { id: String(client.id) }, h);
    const items = [{ productId: String(localArticle(placement(client.ville).site, 0)), quantity: 1 }];
    for (let n = before.orders.length; n < PROFILE_ORDERS; n++) {
      await send(gateway, { q: PLACE, v: { i: { clientId: String(client.id), items } }, h });
    }
    const probe = await post<{ client: { orders: unknown[] } }>(gateway, PROFILE, { id: String(client.id) }, { ...h, 'x-teranga-debug-routing': '1' });
    const touched = ((probe.extensions?.routing as { subgraph: string; site: string | null }[]) ?? []).map((r) => (r.site ? `${r.subgraph}:${r.site}` : r.subgraph));
    console.log(`  ${client.nom} (${client.ville}, ${probe.client.orders.length} orders) touched: ${touched.join(', ') || '(none recorded)'}`);
    const site = placement(client.ville).site;
    figure(`locality.${site}.touched`, touched.length ? touched.map((t) => `\`${t}\``).join(', ') : '(aucun)');
    figure(`locality.${site}.own_site_only`, touched.length > 0 && touched.every((t) => t.endsWith(`:${site}`)));
    targets.push({ url: gateway, query: () => ({ q: PROFILE, v: { id: String(client.id) }, h }) });
  }
  const reads = await sideBySide(1, READS, targets);
  const [thies, dakar] = reads as [Summary, Summary];
  console.log(`${''.padEnd(44)} ${'Thiès'.padStart(16)} ${'Dakar'.padStart(16)}  ratio`);
  console.log(ratioRow('p50 (ms)', thies.p50, dakar.p50, 'ms'));
  console.log(ratioRow('p99 (ms)', thies.p99, dakar.p99, 'ms'));
  ratioFigures('locality.p50', thies.p50, dakar.p50, 'ms');
  ratioFigures('locality.p99', thies.p99, dakar.p99, 'ms');
  console.log('  target: the Thiès read touches Thiès only');
}

async function writePath(baseline: Baseline) {
  // a client of its own: its orders pile up without changing what the locality section reads
  const customer = await bearer(topology, { clientId: BENCH_CLIENT.id });
  const order = (items: number[]) => ({ clientId: String(BENCH_CLIENT.id), items: items.map((id) => ({ productId: String(id), quantity: 1 })) });
  const results: Record<string, Summary> = {};
  for (const c of [1, 16]) {
    // each concurrent client orders its own articles: the protocol is measured, not one hot row
    const perWorker = (kind: 'oneSite' | 'threeSites') => (i: number) => ({ q: PLACE, v: { i: order(fixtureSet(i % c)[kind]) }, h: customer });
    const [one, three, base] = await sideBySide(c, ORDERS, [
      { url: gateway, query: perWorker('oneSite') },
      { url: gateway, query: perWorker('threeSites') },
      { url: baseline.url, query: (i) => ({ q: PLACE, v: { i: order(fixtureSet(i % c).threeSites) } }) },
    ]);
    Object.assign(results, { [`one-${c}`]: one, [`three-${c}`]: three, [`base-${c}`]: base });
  }
  // the same baseline with an asynchronous standby: what waiting for the standby costs it
  await baseline.setDurability('async');
  try {
    for (const c of [1, 16]) {
      const [one, base] = await sideBySide(c, ORDERS, [
        { url: gateway, query: (i) => ({ q: PLACE, v: { i: order(fixtureSet(i % c).oneSite) }, h: customer }) },
        { url: baseline.url, query: (i) => ({ q: PLACE, v: { i: order(fixtureSet(i % c).threeSites) } }) },
      ]);
      Object.assign(results, { [`one-async-${c}`]: one, [`base-async-${c}`]: base });
    }
  } finally {
    await baseline.setDurability('sync');
  }
  header('3. write path: placeOrder of three articles, served by 1 warehouse or by 3 (2PC); single node with a synchronous standby (remote_apply, as the cluster)');
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
    for (const [name, s] of [['three', three], ['one', one], ['base', base]] as const) {
      figure(`write.c${c}.${name}.p50`, s.p50, 'ms');
      figure(`write.c${c}.${name}.p99`, s.p99, 'ms');
      figure(`write.c${c}.${name}.throughput`, s.throughput, 'commandes/s');
    }
    figure(`write.c${c}.three_vs_one.p50`, three.p50 / one.p50, '×');
    figure(`write.c${c}.three_vs_one.p99`, three.p99 / one.p99, '×');
    figure(`write.c${c}.one_vs_base.p50`, one.p50 / base.p50, '×');
    figure(`write.c${c}.three_vs_base.p50`, three.p50 / base.p50, '×');
    figure(`write.c${c}.three_vs_one.throughput`, three.throughput / one.throughput, '×');
    figure(`write.c${c}.one_vs_base.throughput`, one.throughput / base.throughput, '×');
  }
  console.log('  the single node with an asynchronous standby (commits wait for the local flush only), the cluster as booted:');
  for (const c of [1, 16]) {
    const one = results[`one-async-${c}`]!;
    const base = results[`base-async-${c}`]!;
    console.log(ratioRow(`1 site vs async single node, p50, ${c} client(s)`, one.p50, base.p50, 'ms'));
    console.log(ratioRow(`throughput 1 site vs async single node, ${c} cl.`, one.throughput, base.throughput, 'ord/s'));
    ratioFigures(`write.c${c}.async.one_vs_base.p50`, one.p50, base.p50, 'ms');
    ratioFigures(`write.c${c}.async.one_vs_base.throughput`, one.throughput, base.throughput, 'commandes/s');
  }
  console.log(`  targets: 1-site p50 ≤ 2× the single node with 1 client (measured ${fmt(results['one-1']!.p50 / results['base-1']!.p50, 2)}×), throughput ≥ 0.5× with 16 (measured ${fmt(results['one-16']!.throughput / results['base-16']!.throughput, 2)}×)`);
  console.log(`  targets: 3-site p50 ≤ 1.6× 1-site with 1 client (measured ${fmt(results['three-1']!.p50 / results['one-1']!.p50, 2)}×), ≤ 2.5× with 16 (measured ${fmt(results['three-16']!.p50 / results['one-16']!.p50, 2)}×)`);
}

async function batching() {
  header('4. batching: SQL statements on the data tables per catalog request (pg_stat_statements, every server)', '50 products', '10 products');
  const counts: number[] = [];
  for (const limit of [10, 50]) {
    await resetStatements(topology);
    await post(gateway, `{ products(limit: ${limit}) { id name price stock inventory { site quantity } } }`);
    counts.push(await countStatements(topology));
  }
  console.log(ratioRow('statements', counts[1]!, counts[0]!, 'stmts'));
  figure('batching.statements.p50_products', counts[1]!);
  figure('batching.statements.p10_products', counts[0]!);
  figure('batching.statements.equal', counts[1] === counts[0]);
  console.log(`  sites: ${Object.values(SITES).map((s) => s.code).join(', ')}; target: equal (ratio 1.00×)`);
}

/** The share of orders needing more than one warehouse under the fixed split and the demand split (no cluster needed). */
function placementSection() {
  const orders = 400;
  const before = measurePlacement(splitStockFixed, { orders });
  const after = measurePlacement(splitStock, { orders });
  const pct = (n: number, of: number) => `${fmt((100 * n) / of)} %`;
  console.log(`\n== 4b. stock placement: ${orders} orders of 1–3 articles by seed clients drawn uniformly (sites' shares of orders = shares of clients ${Object.entries(CLIENTS_SERVED).map(([s, n]) => `${s} ${n}/${CLIENTS_TOTAL}`).join(', ')}), allocated as the orders subgraph does, until half the stock is gone`);
  console.log(`${''.padEnd(44)} ${'before (50/30/20)'.padStart(18)} ${'after (by clients)'.padStart(18)}`);
  console.log(`${'orders served by more than one site'.padEnd(44)} ${pct(before.multiSite, before.orders).padStart(18)} ${pct(after.multiSite, after.orders).padStart(18)}`);
  console.log(`${'orders served (partly) away from home'.padEnd(44)} ${pct(before.awayFromHome, before.orders).padStart(18)} ${pct(after.awayFromHome, after.orders).padStart(18)}`);
  figure('placement.orders', orders);
  for (const [name, m] of [['fixed', before], ['by_clients', after]] as const) {
    figure(`placement.${name}.multi_site`, (100 * m.multiSite) / m.orders, '%');
    figure(`placement.${name}.away_from_home`, (100 * m.awayFromHome) / m.orders, '%');
  }
}

/** Mean, min and max of one figure over the seeds, keyed `key.mean`, `key.min`, `key.max`. */
function spreadFigures(key: string, values: readonly number[], unit: string, digits?: number) {
  figure(`${key}.mean`, values.reduce((a, b) => a + b, 0) / values.length, unit, digits);
  figure(`${key}.min`, Math.min(...values), unit, digits);
  figure(`${key}.max`, Math.max(...values), unit, digits);
}

async function contention() {
  const levels = [1, 10];
  const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);
  console.log(`\n== 5a. contention: the concurrency simulator, ${SIMULATED_ORDERS} orders, 16 in flight, K hot products (1: worst), seeds ${seeds.join(', ')}`);
  const reports = new Map<string, SimulationReport[]>();
  // strategy by strategy, so the coordinator restarts once per strategy
  for (const strategy of ['locking', 'timestamp', 'none'] satisfies SimulationStrategy[]) {
    for (const hotProducts of levels) {
      const runs: SimulationReport[] = [];
      for (const seed of seeds) {
        const report = await simulate({ topology, strategy, orders: SIMULATED_ORDERS, concurrency: 16, hotProducts, seed });
        runs.push(report);
        const f = figuresOf(report);
        console.log(`  ${strategy.padEnd(9)} K=${String(hotProducts).padEnd(3)} seed ${seed}  committed ${String(f.committed).padStart(4)}  ${fmt(f.committedPerSecond).padStart(6)} commits/s  ` +
          `aborts ${fmt(100 * f.abortRate).padStart(5)} %  retries ${f.retryRate === null ? '    —' : `${fmt(100 * f.retryRate).padStart(5)} %`}  ` +
          `p50 ${fmt(report.latencyMs.p50, 0).padStart(5)} ms  p99 ${fmt(report.latencyMs.p99, 0).padStart(5)} ms  ` +
          `${report.serializability.serializable ? 'serializable' : 'NOT serializable'}, ${report.violations.length} violations`);
      }
      reports.set(`${strategy}-${hotProducts}`, runs);
      const key = `contention.${strategy}.k${hotProducts}`;
      spreadFigures(`${key}.committed`, runs.map((r) => figuresOf(r).committed), '', 0);
      spreadFigures(`${key}.committed_per_s`, runs.map((r) => figuresOf(r).committedPerSecond), '/s');
      spreadFigures(`${key}.abort_rate`, runs.map((r) => figuresOf(r).abortRate), '', 3);
      spreadFigures(`${key}.p50`, runs.map((r) => r.latencyMs.p50), 'ms', 0);
      spreadFigures(`${key}.p99`, runs.map((r) => r.latencyMs.p99), 'ms', 0);
      figure(`${key}.serializable_all`, runs.every((r) => r.serializability.serializable));
      figure(`${key}.serializable_none`, runs.every((r) => !r.serializability.serializable));
      figure(`${key}.violations_total`, runs.reduce((n, r) => n + r.violations.length, 0));
    }
  }
  figure('contention.seeds', seeds.length);
  figure('contention.orders', SIMULATED_ORDERS);
  const mean = (runs: SimulationReport[], pick: (r: SimulationReport) => number) => runs.reduce((n, r) => n + pick(r), 0) / runs.length;
  for (const k of levels) {
    header(`timestamp vs locking, K = ${k}, means over ${seeds.length} seeds`, 'timestamp', 'locking');
    const ts = reports.get(`timestamp-${k}`)!;
    const lk = reports.get(`locking-${k}`)!;
    const rows: [string, string, (r: SimulationReport) => number, string][] = [
      ['committed_per_s', 'committed orders per second', (r) => figuresOf(r).committedPerSecond, '/s'],
      ['p50', 'p50', (r) => r.latencyMs.p50, 'ms'],
      ['p99', 'p99', (r) => r.latencyMs.p99, 'ms'],
    ];
    for (const [name, label, pick, unit] of rows) {
      console.log(ratioRow(label, mean(ts, pick), mean(lk, pick), unit));
      figure(`contention.k${k}.timestamp_vs_locking.${name}`, mean(ts, pick) / mean(lk, pick), '×');
    }
  }
}

/**
 * The deterministic simulation of the order protocol (`npm run sim:2pc`), no cluster: schedules per
 * second (the one timed figure), then counts that depend only on the seeds: violations, paths
 * covered, and how soon each planted defect is caught.
 */
function sim2pc() {
  const seeds = quick ? 20_000 : 100_000;
  console.log(`\n== 6. simulated order protocol (npm run sim:2pc), ${seeds} seeded schedules`);
  const t0 = performance.now();
  const clean = sweep(1, seeds);
  const seconds = (performance.now() - t0) / 1000;
  const c = clean.coverage;
  console.log(`  ${clean.schedules} schedules in ${fmt(seconds, 1)} s (${fmt(clean.schedules / seconds, 0)} /s), ${clean.failing.length} with violations`);
  console.log(`  paths: ${c.crashes} crashes, ${c.retries} retries after CONFLICT, ${c.fences} fences, ${c.inDoubt} in-doubt answers, ${c.takeovers} intents taken over, ${c.abandoned} abandoned intents finalized, recovery committed ${c.recoveredCommit} and rolled back ${c.recoveredAbort} shares`);
  figure('sim2pc.seeds', clean.schedules);
  figure('sim2pc.seconds', seconds, 's', 1);
  figure('sim2pc.schedules_per_s', clean.schedules / seconds, '/s', 0);
  figure('sim2pc.violations', clean.failing.length);
  // figure keys are lower case: camelCase names become snake_case
  const snake = (name: string) => name.replace(/[A-Z]/g, (l) => `_${l.toLowerCase()}`);
  for (const [key, n] of Object.entries(c)) figure(`sim2pc.paths.${snake(key)}`, n);
  for (const defect of DEFECTS) {
    const planted = sweep(1, seeds, { defect });
    console.log(`  planted ${defect}: first caught at seed ${planted.failing[0]?.seed ?? '—'}, ${planted.failing.length} failing seeds of ${planted.schedules}`);
    const key = `sim2pc.${snake(defect)}`;
    figure(`${key}.first_seed`, planted.failing[0]?.seed ?? 0);
    figure(`${key}.failing`, planted.failing.length);
  }
}

async function replication() {
  console.log('\n== 5b. replication lag and failover (same as `npx teranga bench-replication`)');
  await runReplicationBench(topology, {
    site: 'dakar',
    seconds: quick ? 4 : 15,
    concurrency: 4,
    rounds: quick ? 1 : 3,
    // the same modes either way, so that a quick run records every figure the docs quote
    modes: ['sync', 'sync-flush', 'async'],
    failoverModes: ['sync', 'async'],
    log: (line) => console.log(line.startsWith('machine:') || line.startsWith('cluster:') ? `  ${line}` : line),
    record: (key, value, unit) => figure(`replication.${key}`, value, unit),
  });
}

/** Markdown tables for the recorded run (--record), after its full text. */
const recordedTables: { title: string; lines: string[] }[] = [];
const progress = (line: string) => console.error(line);

const record = (figures: readonly GeoFigure[]) => {
  for (const f of figures) figure(f.key, f.value, f.unit, f.digits);
};

async function geography(baseline: Baseline) {
  const requests = quick ? 25 : 150;
  console.log(`\n== 7. geography: a customer in each city at their own site's gateway, vs the single node in Dakar over the same simulated links (${requests} requests each, 1 client, one after another)`);
  console.log('  cluster under the simulated WAN; RTT (ms): ' + Object.entries(wanTopology.wan!.rtt).filter(([k]) => k.split(':')[0] !== k.split(':')[1]).map(([k, v]) => `${k}=${v}`).join(', '));
  console.log('  p50 / p99 in ms; RT = WAN ms: WAN round trips of one request and their cost at the links\' RTTs (medians over the requests; http + sql links; "access": on the customer\'s own link)');
  const rows = await geoBench(wanTopology, baseline, { requests, progress });
  for (const line of formatGeoText(rows)) console.log(`  ${line}`);
  console.log('  targets: outside Dakar, catalog, profile and one-site order faster than centralized by one RTT to Dakar (for a city without a site: minus its RTT to its own site); three-site order ≤ centralized + one RTT to the farthest warehouse');
  const writes = await productWrites(wanTopology, baseline, quick ? 30 : 200);
  for (const line of formatProductWrites(writes)) console.log(`  ${line}`);
  record([...geoFigures(rows), ...productWriteFigures(writes)]);
  recordedTables.push({ title: 'Géographie (section 7)', lines: [...formatGeoMarkdown(rows), '', ...formatProductWrites(writes).map((l) => `\`${l.replace(/\s+/g, ' ')}\``)] });
}

async function standbyPlacement(baseline: Baseline) {
  const commits = quick ? 100 : 500;
  console.log(`\n== 8. where the standbys live: a commit (pg_logical_emit_message, synchronous standby, remote_apply) at a primary in Dakar, its standby in each city in turn (the baseline's pair; ${commits} commits each, 1 client)`);
  console.log('  this cluster\'s standbys (TERANGA_STANDBY_SITES moves them):');
  for (const line of standbyLocations(wanTopology)) console.log(line);
  const rows = await standbyPlacements(wanTopology, baseline, commits, progress);
  for (const line of formatStandbyPlacements(rows)) console.log(`  ${line}`);
  record(standbyFigures(rows));
  console.log('  expected: a standby in another city adds about one RTT to every commit');
  recordedTables.push({ title: 'Où vivent les secours (section 8)', lines: ['```text', ...formatStandbyPlacements(rows), '```'] });
}

async function main(t: Topology) {
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`settings: ${quick ? 'quick' : 'full'} run; sections ${[...only].join(', ')}; ${READS} reads and ${ORDERS} orders per measurement; gateway ${gateway}; PostgreSQL fsync on, standbys as booted`);
  const foundOnWan = modes.found !== null;
  const phases = benchPhases(SECTIONS.filter((s) => only.has(s)), WAN_SECTIONS, foundOnWan);
  console.log(
    `cluster: found ${foundOnWan ? 'under the simulated WAN' : 'without the WAN'}; ` +
      phases.map((p) => `${p.wan ? 'under the WAN' : 'without it'}: ${p.sections.join(', ')}`).join('; then restarted ') +
      (phases.at(-1) && phases.at(-1)!.wan !== foundOnWan ? `; then restarted back ${foundOnWan ? 'under the WAN' : 'without it'}` : ''),
  );
  await prepareFixtures(t);
  // null while a restart is under way: a restart that failed half-way leaves a mode to restore too
  let onWan: boolean | null = foundOnWan;
  const switchTo = async (wan: boolean) => {
    onWan = null;
    const seconds = await switchCluster(modes, wan ? 'wan' : 'direct', progress);
    onWan = wan;
    console.log(`\n== cluster restarted ${wan ? 'under the simulated WAN' : 'without the WAN'} in ${fmt(seconds, 0)} s`);
  };
  try {
    for (const phase of phases) {
      if (phase.wan !== onWan) await switchTo(phase.wan);
      if (phase.wan) await wanPhase(new Set(phase.sections));
      else await directPhase(t, new Set(phase.sections));
    }
  } finally {
    // left as found, also after a failed section or restart
    if (onWan !== foundOnWan) {
      await switchTo(foundOnWan).catch((error: Error) => {
        console.error(`could not restart the cluster back ${foundOnWan ? 'under the WAN' : 'without it'} (${error.message}): run \`npx teranga down\`, then \`npx teranga up${foundOnWan ? ' --wan' : ''}\``);
      });
    }
  }
}

function clientSitesOf(): Map<number, SiteId> {
  const clientSites = new Map<number, SiteId>(SEED_CLIENTS.map((c) => [c.id, placement(c.ville).site]));
  clientSites.set(BENCH_CLIENT.id, BENCH_CLIENT.site);
  return clientSites;
}

/** The sections measured with every process talking directly. */
async function directPhase(t: Topology, sections: ReadonlySet<Section>) {
  const wants = (section: Section) => sections.has(section);
  const needsBaseline = wants('read') || wants('breakdown') || wants('write');
  const baseline = needsBaseline ? await startBaseline(t, clientSitesOf()) : null;
  try {
    if (baseline && wants('read')) await readPath(baseline);
    if (baseline && wants('breakdown')) await readBreakdown(baseline);
    if (wants('breakdown')) await orderBreakdown();
    if (wants('locality')) await locality();
    if (baseline && wants('write')) await writePath(baseline);
    if (wants('batching')) await batching();
    if (wants('placement')) placementSection();
  } finally {
    await baseline?.stop();
  }
  if (wants('contention')) await contention();
  if (wants('replication')) await replication();
  if (wants('sim2pc')) sim2pc();
}

/** The geography sections, the cluster under the simulated WAN; the baseline's standby moves through its links. */
async function wanPhase(sections: ReadonlySet<Section>) {
  const baseline = await startBaseline(wanTopology, clientSitesOf());
  try {
    if (sections.has('geo')) await geography(baseline);
    if (sections.has('standby-placement')) await standbyPlacement(baseline);
  } finally {
    await baseline.stop();
  }
}

/**
 * `--record docs/benchmarks-run.md`: also writes everything printed, under the commit and the date
 * of this run, to the file docs/benchmarks.md includes, and every figure, keyed, to the JSON beside
 * it (docs/benchmarks-run.json), from which `npm run report:figures` writes the docs' figures.
 */
const printed: string[] = [];
if (flags.record) {
  const log = console.log.bind(console);
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(' '));
    log(...args);
  };
}
const startedAt = new Date();
const loadStart = os.loadavg();
// the code measured is the code at the start: edits made while the run goes on are not in it
const git = (args: string[]) => execFileSync('git', args, { cwd: topology.root, encoding: 'utf8' }).trim();
const commit = flags.record ? git(['rev-parse', '--short', 'HEAD']) : '';
const isDirty = flags.record ? git(['status', '--porcelain', '--untracked-files=no']) !== '' : false;
await main(topology);
if (flags.record) {
  const { writeFileSync } = await import('node:fs');
  const dirty = isDirty ? ' (with uncommitted changes)' : '';
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;
  writeFileSync(
    flags.record,
    `<!-- written by \`${command}\`; do not edit -->\n` +
      `Run of commit \`${commit}\`${dirty}, ${startedAt.toISOString()}:\n\n\`\`\`text\n${printed.join('\n')}\n\`\`\`\n` +
      recordedTables.map((t) => `\n## ${t.title}\n\n${t.lines.join('\n')}\n`).join(''),
  );
  const recorded: RecordedRun = {
    run: {
      id: `${commit}${isDirty ? '+' : ''}@${startedAt.toISOString()}`,
      commit,
      dirty: isDirty,
      date: startedAt.toISOString(),
      command,
      quick,
      sections: [...only],
      machine: `${os.cpus().length} cœurs ${os.cpus()[0]?.model ?? ''}, ${(os.totalmem() / 2 ** 30).toFixed(0)} Gio, ${os.platform()} ${os.release()}, Node.js ${process.version}`,
      loadStart: loadStart.map((l) => Number(l.toFixed(1))),
      loadEnd: os.loadavg().map((l) => Number(l.toFixed(1))),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    },
    figures: recordedFigures(),
  };
  writeFileSync(flags.record.replace(/\.md$/, '') + '.json', `${JSON.stringify(recorded, null, 2)}\n`);
}
