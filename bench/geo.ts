/**
 * The geography benchmark (`npm run bench -- --only geo`, on a cluster started with
 * `npx teranga up --wan`): a customer in each site's city and in a city without a site
 * (Ziguinchor) reads the catalog, reads their profile, and places a one-site and a three-site
 * order through their own site's gateway; beside it, the same requests to the centralized
 * alternative, the single-node baseline placed in Dakar, reached over the same simulated links
 * (lib/topology.ts `customerAccess`). Each figure comes with the WAN round trips the request made,
 * read from the proxy's link counters just before and just after it.
 *
 * And `--only standby-placement`: what a commit costs when the synchronous standby is in the same
 * city as its primary, or in another (the baseline's pair, its standby moved from city to city).
 *
 * The pure parts (counter deltas, targets, tables) are exported for test/geo-bench.test.ts.
 */
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import { warehouseOrderFrom } from '../lib/placement.ts';
import { SEED_CLIENTS } from '../seed/clients.ts';
import { SITES, type SiteId } from '../lib/sites.ts';
import { CENTRAL_LOCATION, connectionString, customerAccess, customerCities, primaryOf, type Topology, type WanKind } from '../lib/topology.ts';
import { readWanCounters } from '../lib/wan/counters.ts';
import { rttBetween, siteRttMatrix } from '../lib/wan/model.ts';
import type { LinkReport } from '../lib/wan/proxy.ts';
import type { Baseline } from './baseline/server.ts';
import { bearer } from './credentials.ts';
import { fixtureSet, localArticle } from './fixtures.ts';
import { fmt, percentile, post } from './load.ts';
import { livePrimary } from './servers.ts';

export const GEO_OPERATIONS = ['catalog', 'profile', 'one-site order', 'three-site order'] as const;
export type GeoOperation = (typeof GEO_OPERATIONS)[number];

/** Latencies of one operation on one system, with the WAN round trips each request made. */
export interface GeoMeasure {
  readonly p50: number;
  readonly p99: number;
  /** Median over the requests of the round trips on every http and sql link (background traffic inflates a few; the median does not move). */
  readonly roundTrips: number;
  /** Of which on the customer's own access link (0 for a customer in the server's city). */
  readonly accessRoundTrips: number;
  /** Median of Σ round trips × link RTT: the time the WAN itself adds, from the counters alone (no clock). */
  readonly wanMs: number;
  readonly requests: number;
  readonly errors: number;
}

export interface GeoRow {
  readonly city: string;
  readonly site: SiteId;
  /** The customer's RTT to Dakar (where the centralized alternative is) and to their own site. */
  readonly rttToDakarMs: number;
  readonly rttToSiteMs: number;
  /** From the customer's site, the RTT to the farthest other warehouse (a three-site order's bound). */
  readonly farthestWarehouseRttMs: number;
  readonly operation: GeoOperation;
  readonly distributed: GeoMeasure;
  readonly centralized: GeoMeasure;
}

export interface GeoVerdict {
  /** `gain`: faster than centralized by at least limitMs; `bound`: slower by at most limitMs; `none`: no target (reported only). */
  readonly kind: 'gain' | 'bound' | 'none';
  readonly limitMs: number;
  /** Centralized p50 minus distributed p50 (positive: the distributed platform is faster). */
  readonly gainMs: number;
  readonly met: boolean | null;
  /**
   * The same target on the WAN time alone (round trips × RTT, from the counters): whether the
   * request paths meet it once processing costs the same at both systems. Deterministic.
   */
  readonly floorMet: boolean | null;
}

/** Round trips per link between two readings of the counters, request-path kinds only (replication streams are not the request's). */
export function roundTripDelta(before: readonly LinkReport[], after: readonly LinkReport[], kinds: readonly WanKind[] = ['http', 'sql']): Map<string, number> {
  const earlier = new Map(before.map((l) => [l.id, l.roundTrips]));
  const out = new Map<string, number>();
  for (const link of after) {
    if (!kinds.includes(link.kind)) continue;
    // a counter reset between the readings (`teranga wan --reset`) restarts from zero
    const base = earlier.get(link.id) ?? 0;
    const delta = link.roundTrips >= base ? link.roundTrips - base : link.roundTrips;
    if (delta > 0) out.set(link.id, delta);
  }
  return out;
}

/** What those round trips cost at the links' RTTs: the request's floor on this WAN. */
export function wanMillis(delta: ReadonlyMap<string, number>, links: readonly Pick<LinkReport, 'id' | 'rttMs'>[]): number {
  const rtt = new Map(links.map((l) => [l.id, l.rttMs]));
  let ms = 0;
  for (const [id, n] of delta) ms += n * (rtt.get(id) ?? 0);
  return Math.round(ms * 10) / 10;
}

/** A request's round trips: all of them, and those on the customer's access link. */
export function splitRoundTrips(delta: ReadonlyMap<string, number>, accessLink: string | null): { total: number; access: number } {
  let total = 0;
  for (const n of delta.values()) total += n;
  return { total, access: accessLink ? (delta.get(accessLink) ?? 0) : 0 };
}

/**
 * The issue's targets. Outside Dakar, a catalog read, a profile read and a one-site order must be
 * faster than centralized by at least one RTT to Dakar; for a customer in a city without a site,
 * the RTT it saves is the one to Dakar minus the one to its own site (the customer crosses a link
 * either way), which is the same rule (0 to a site in its own city). A three-site order must take
 * at most centralized plus one RTT to the farthest warehouse. A Dakar customer's reads and
 * one-site orders have no target: centralized is in their city too; they show what distribution costs.
 */
export function geoVerdict(row: GeoRow): GeoVerdict {
  const gainMs = row.centralized.p50 - row.distributed.p50;
  const floorGainMs = row.centralized.wanMs - row.distributed.wanMs;
  // a hundredth of a millisecond of slack: the RTTs are sums of tenths
  const eps = 0.01;
  if (row.operation === 'three-site order') {
    const limitMs = row.farthestWarehouseRttMs;
    return { kind: 'bound', limitMs, gainMs, met: -gainMs <= limitMs, floorMet: -floorGainMs <= limitMs + eps };
  }
  if (row.site === CENTRAL_LOCATION && row.rttToDakarMs === 0) return { kind: 'none', limitMs: 0, gainMs, met: null, floorMet: null };
  const limitMs = Math.max(0, row.rttToDakarMs - row.rttToSiteMs);
  return { kind: 'gain', limitMs, gainMs, met: gainMs >= limitMs, floorMet: floorGainMs >= limitMs - eps };
}

function verdictText(v: GeoVerdict): string {
  const mark = v.met === null ? '' : `${v.met ? 'met' : 'MISSED'} (on WAN time: ${v.floorMet ? 'met' : 'MISSED'})`;
  if (v.kind === 'gain') return `gain ≥ ${fmt(v.limitMs)} ms: ${mark}`;
  if (v.kind === 'bound') return `≤ central + ${fmt(v.limitMs)} ms: ${mark}`;
  return v.gainMs < 0 ? `no target; loses ${fmt(-v.gainMs)} ms` : 'no target';
}

const measureText = (m: GeoMeasure) => `${fmt(m.p50)} / ${fmt(m.p99)}`;
const tripsText = (m: GeoMeasure) => `${m.roundTrips}${m.accessRoundTrips ? ` (${m.accessRoundTrips} access)` : ''} = ${fmt(m.wanMs)} ms`;

/** The table as printed (and recorded by --record). */
export function formatGeoText(rows: readonly GeoRow[]): string[] {
  const lines = [
    `${'customer (site)'.padEnd(24)} ${'operation'.padEnd(17)} ${'distributed p50/p99'.padStart(19)} ${'RT = WAN ms'.padStart(20)} ${'central p50/p99'.padStart(16)} ${'RT = WAN ms'.padStart(20)} ${'ratio'.padStart(6)} ${'gain ms'.padStart(8)}  target`,
  ];
  for (const row of rows) {
    const v = geoVerdict(row);
    lines.push(
      `${`${row.city} (${row.site})`.padEnd(24)} ${row.operation.padEnd(17)} ${measureText(row.distributed).padStart(19)} ${tripsText(row.distributed).padStart(20)} ` +
        `${measureText(row.centralized).padStart(16)} ${tripsText(row.centralized).padStart(20)} ${`${fmt(row.distributed.p50 / row.centralized.p50, 2)}×`.padStart(6)} ${fmt(v.gainMs).padStart(8)}  ${verdictText(v)}`,
    );
  }
  const judged = rows.map(geoVerdict).filter((v) => v.met !== null);
  lines.push(`targets met: ${judged.filter((v) => v.met).length} of ${judged.length} on p50; ${judged.filter((v) => v.floorMet).length} of ${judged.length} on WAN time (round trips × RTT)`);
  return lines;
}

/** The same table in Markdown, for docs/benchmarks-run.md (docs/benchmarks.md points at it). */
export function formatGeoMarkdown(rows: readonly GeoRow[]): string[] {
  const lines = [
    '| client (site) | opération | réparti p50 / p99 (ms) | allers-retours WAN = ms de WAN | centralisé p50 / p99 (ms) | allers-retours WAN = ms de WAN | rapport | gain (ms) | cible |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const v = geoVerdict(row);
    lines.push(
      `| ${row.city} (${row.site}) | ${row.operation} | ${measureText(row.distributed)} | ${tripsText(row.distributed)} | ${measureText(row.centralized)} | ${tripsText(row.centralized)} | ` +
        `${fmt(row.distributed.p50 / row.centralized.p50, 2)}× | ${fmt(v.gainMs)} | ${verdictText(v)} |`,
    );
  }
  return lines;
}

type Headers = Record<string, string>;
interface GeoRequest {
  readonly q: string;
  readonly v?: Record<string, unknown>;
  readonly h?: Headers;
}

const CATALOG = '{ products(limit: 200) { id name price stock inventory { site quantity } } }';
const PROFILE = 'query($id: ID!) { client(id: $id) { name city orders { id total status lines { quantity site } } } }';
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } error { code message } } }';
/** Orders the profile reader has, at both systems, so both read the same amount. */
const PROFILE_ORDERS = 3;

async function send(url: string, r: GeoRequest): Promise<void> {
  const data = await post<{ placeOrder?: { error: { code: string; message: string } | null } }>(url, r.q, r.v, r.h);
  if (data.placeOrder?.error) throw new Error(`${data.placeOrder.error.code}: ${data.placeOrder.error.message}`);
}

interface Samples {
  latencies: number[];
  trips: number[];
  access: number[];
  wanMs: number[];
  errors: number;
  firstError?: string;
}

const emptySamples = (): Samples => ({ latencies: [], trips: [], access: [], wanMs: [], errors: 0 });

/** Requests one after another, each between two readings of the WAN counters (outside its timing). */
async function sample(topology: Topology, into: Samples, url: string, accessLink: string | null, requests: number, request: (i: number) => GeoRequest, offset: number): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const before = (await readWanCounters(topology)).links;
    const t0 = performance.now();
    try {
      await send(url, request(offset + i));
    } catch (error) {
      into.errors++;
      into.firstError ??= (error as Error).message;
      continue;
    }
    const ms = performance.now() - t0;
    const after = (await readWanCounters(topology)).links;
    const delta = roundTripDelta(before, after);
    const { total, access } = splitRoundTrips(delta, accessLink);
    into.latencies.push(ms);
    into.trips.push(total);
    into.access.push(access);
    into.wanMs.push(wanMillis(delta, after));
  }
}

function measureOf(s: Samples): GeoMeasure {
  if (s.errors) console.log(`  (${s.errors} errors, first: ${s.firstError})`);
  return {
    p50: percentile(s.latencies, 50),
    p99: percentile(s.latencies, 99),
    roundTrips: percentile(s.trips, 50),
    accessRoundTrips: percentile(s.access, 50),
    wanMs: percentile(s.wanMs, 50),
    requests: s.latencies.length,
    errors: s.errors,
  };
}

/**
 * The proxy answers, and runs the RTTs this process computes its targets from (the cluster and
 * the bench must see the same TERANGA_WAN_RTT_MS).
 */
export async function assertSameWan(topology: Topology): Promise<void> {
  const counters = await readWanCounters(topology).catch((error: Error) => {
    throw new Error(`no WAN proxy answers at ${topology.wan!.controlUrl} (${error.message}): start the cluster with \`npx teranga up --wan\``);
  });
  const here: Readonly<Record<string, number>> = topology.wan!.rtt;
  const mismatch = Object.keys(here).filter((pair) => counters.rtt[pair] !== here[pair]);
  if (mismatch.length) throw new Error(`the running WAN proxy has other RTTs than this shell (${mismatch.map((p) => `${p}: proxy ${counters.rtt[p]} ms, here ${here[p]} ms`).join(', ')}): run the bench with the cluster's TERANGA_WAN_RTT_MS`);
  const missing = topology.wan!.outside.filter((l) => !counters.links.some((c) => c.id === l.id && c.port === l.port));
  if (missing.length) throw new Error(`the running WAN proxy lacks the links ${missing.map((l) => l.id).join(', ')}: it was started by an older version; restart the cluster (\`npx teranga down && npx teranga up --wan\`)`);
}

/** Turns per measurement: both systems take turns, so a change in the machine's load hits both alike. */
const ROUNDS = 5;

/** The two clients of a city the benchmark uses: one reads a profile that does not grow, the other orders. */
export function geoCustomers(city: string): { reader: number; orderer: number } {
  const ids = SEED_CLIENTS.filter((c) => c.ville === city).map((c) => c.id);
  if (ids.length < 2) throw new Error(`the geography benchmark needs two seed clients in ${city}`);
  // the city's last seed clients: the locality section and the examples use the first ones
  return { reader: ids.at(-2)!, orderer: ids.at(-1)! };
}

export async function geoBench(topology: Topology, baseline: Baseline, options: { readonly requests: number; readonly progress: (line: string) => void }): Promise<GeoRow[]> {
  if (!topology.wan) throw new Error('the geography benchmark needs the simulated WAN: start the cluster with `npx teranga up --wan`, and run the bench with TERANGA_WAN=1 (`npm run bench -- --only geo` sets it)');
  await assertSameWan(topology);
  const rows: GeoRow[] = [];
  const perRound = Math.max(1, Math.ceil(options.requests / ROUNDS));
  for (const city of customerCities()) {
    const access = customerAccess(topology, city);
    const site = access.site;
    const { reader, orderer } = geoCustomers(city);
    const readerAuth = await bearer(topology, { clientId: reader });
    const ordererAuth = await bearer(topology, { clientId: orderer });
    // the profile reader has PROFILE_ORDERS orders at both systems, each served by its own warehouse
    const local = (w: number) => [{ productId: String(localArticle(site, w)), quantity: 1 }];
    const { client: before } = await post<{ client: { orders: unknown[] } }>(access.gateway.url, PROFILE, { id: String(reader) }, readerAuth);
    for (let n = before.orders.length; n < PROFILE_ORDERS; n++) await send(access.gateway.url, { q: PLACE, v: { i: { clientId: String(reader), items: local(0) } }, h: readerAuth });
    for (let n = 0; n < Math.max(PROFILE_ORDERS, before.orders.length); n++) await send(baseline.url, { q: PLACE, v: { i: { clientId: String(reader), items: local(0) } } });

    const oneSite = [0, 1, 2].map((w) => ({ productId: String(localArticle(site, w)), quantity: 1 }));
    const threeSites = fixtureSet(3).threeSites.map((id) => ({ productId: String(id), quantity: 1 }));
    const requests: Record<GeoOperation, (auth: boolean) => GeoRequest> = {
      catalog: () => ({ q: CATALOG }),
      profile: (auth) => ({ q: PROFILE, v: { id: String(reader) }, h: auth ? readerAuth : {} }),
      'one-site order': (auth) => ({ q: PLACE, v: { i: { clientId: String(orderer), items: oneSite } }, h: auth ? ordererAuth : {} }),
      'three-site order': (auth) => ({ q: PLACE, v: { i: { clientId: String(orderer), items: threeSites } }, h: auth ? ordererAuth : {} }),
    };
    const others = warehouseOrderFrom(site).filter((w) => w !== site);
    const farthestWarehouseRttMs = Math.max(...others.map((w) => rttBetween(topology.wan!.rtt, site, w)));
    for (const operation of GEO_OPERATIONS) {
      options.progress(`  geo: ${access.city} (${site}), ${operation}: ${perRound * ROUNDS} requests at each system`);
      const dist = emptySamples();
      const central = emptySamples();
      // warm up the connections (their handshakes cross the access link), plans and caches
      await sample(topology, emptySamples(), access.gateway.url, access.gateway.link, 3, () => requests[operation](true), 0);
      await sample(topology, emptySamples(), access.baseline.url, access.baseline.link, 3, () => requests[operation](false), 0);
      for (let round = 0; round < ROUNDS; round++) {
        await sample(topology, dist, access.gateway.url, access.gateway.link, perRound, () => requests[operation](true), round * perRound);
        await sample(topology, central, access.baseline.url, access.baseline.link, perRound, () => requests[operation](false), round * perRound);
      }
      rows.push({
        city: access.city,
        site,
        rttToDakarMs: access.baseline.rttMs,
        rttToSiteMs: access.gateway.rttMs,
        farthestWarehouseRttMs,
        operation,
        distributed: measureOf(dist),
        centralized: measureOf(central),
      });
    }
  }
  return rows;
}

/**
 * A write to product information, where distribution loses: it goes to the products primary in
 * Dakar whatever the writer's city, and under --wan waits for its synchronous standby and feeds
 * every site's copy. Measured from Dakar (the operator's office), at the platform's products
 * primary and at the baseline, by SQL (the API has no product mutation).
 */
export async function productWrites(topology: Topology, baseline: Baseline, commits: number): Promise<{ distributed: GeoMeasure; centralized: GeoMeasure; replicationTrips: number }> {
  const loop = async (connection: string) => {
    const client = toolClient({ connectionString: connection, application_name: 'teranga-bench' });
    await client.connect();
    const s = emptySamples();
    let replication = 0;
    try {
      for (let i = 0; i < commits + 3; i++) {
        const before = (await readWanCounters(topology)).links;
        const t0 = performance.now();
        await client.query("UPDATE produit SET description = 'Produit réservé aux mesures de performance (' || $2 || ')' WHERE id = $1", [fixtureSet(0).threeSites[0], i]);
        const ms = performance.now() - t0;
        const after = (await readWanCounters(topology)).links;
        if (i < 3) continue;
        s.latencies.push(ms);
        s.trips.push(splitRoundTrips(roundTripDelta(before, after), null).total);
        s.access.push(0);
        s.wanMs.push(wanMillis(roundTripDelta(before, after), after));
        replication = Math.max(replication, splitRoundTrips(roundTripDelta(before, after, ['replication']), null).total);
      }
    } finally {
      await client.end();
    }
    return { measure: measureOf(s), replication };
  };
  // the products primary as the services find it (after a failover, the promoted standby)
  const dist = await loop(connectionString(topology, await livePrimary(topology, 'products')));
  const central = await loop(baseline.connectionString);
  return { distributed: dist.measure, centralized: central.measure, replicationTrips: dist.replication };
}

export function formatProductWrites(r: { distributed: GeoMeasure; centralized: GeoMeasure; replicationTrips: number }): string[] {
  return [
    `product write from Dakar (UPDATE produit, SQL)     distributed ${measureText(r.distributed)} ms, centralized ${measureText(r.centralized)} ms, ` +
      `ratio ${fmt(r.distributed.p50 / r.centralized.p50, 2)}×; request-path round trips ${r.distributed.roundTrips} / ${r.centralized.roundTrips}; replication turns on the WAN per write (max) ${r.replicationTrips}`,
  ];
}

/** One synchronous standby placement: where it is, the link's RTT, and what a commit costs. */
export interface StandbyPlacement {
  readonly standbyLocation: SiteId;
  readonly rttMs: number;
  readonly p50: number;
  readonly p99: number;
  readonly commits: number;
}

/** A commit loop at the baseline's primary (Dakar), its synchronous standby moved from city to city. */
export async function standbyPlacements(topology: Topology, baseline: Baseline, commits: number, progress: (line: string) => void): Promise<StandbyPlacement[]> {
  if (!topology.wan) throw new Error('the standby placement benchmark needs the simulated WAN: start the cluster with `npx teranga up --wan`');
  await assertSameWan(topology);
  const out: StandbyPlacement[] = [];
  const primaryLocation = topology.baseline.pg.location;
  // the primary's own city first, then the others nearest first
  for (const location of warehouseOrderFrom(primaryLocation)) {
    progress(`  standby-placement: standby in ${SITES[location].city}, ${commits} commits`);
    await baseline.setStandbyLocation(location);
    const client = toolClient({ connectionString: baseline.connectionString, application_name: 'teranga-bench' });
    await client.connect();
    const times: number[] = [];
    try {
      for (let i = 0; i < commits + 5; i++) {
        const t0 = performance.now();
        // a WAL record that commits (and waits for the standby's replay), touching no table
        await client.query("SELECT pg_logical_emit_message(true, 'teranga-bench', '')");
        if (i >= 5) times.push(performance.now() - t0);
      }
    } finally {
      await client.end();
    }
    out.push({ standbyLocation: location, rttMs: rttBetween(topology.wan.rtt, primaryLocation, location), p50: percentile(times, 50), p99: percentile(times, 99), commits: times.length });
  }
  await baseline.setStandbyLocation(primaryLocation);
  return out;
}

export function formatStandbyPlacements(rows: readonly StandbyPlacement[]): string[] {
  const local = rows.find((r) => r.rttMs === 0);
  const lines = [`${'synchronous standby (primary in Dakar)'.padEnd(44)} ${'RTT ms'.padStart(7)} ${'commit p50'.padStart(11)} ${'p99'.padStart(8)} ${'vs same city'.padStart(13)} ${'extra ms'.padStart(9)}`];
  for (const r of rows) {
    lines.push(
      `${`in ${SITES[r.standbyLocation].city}${r.rttMs === 0 ? ' (same city: ZONE)' : ' (another city: REGION)'}`.padEnd(44)} ${fmt(r.rttMs).padStart(7)} ${fmt(r.p50, 2).padStart(11)} ${fmt(r.p99, 2).padStart(8)} ` +
        `${(local ? `${fmt(r.p50 / local.p50, 2)}×` : '—').padStart(13)} ${(local ? fmt(r.p50 - local.p50, 2) : '—').padStart(9)}`,
    );
  }
  return lines;
}

/** Where each database's standby runs in this cluster (TERANGA_STANDBY_SITES moves them). */
export function standbyLocations(topology: Topology): string[] {
  return topology.postgres
    .filter((s) => s.role === 'standby')
    .map((s) => {
      const primary = primaryOf(topology, s.database);
      return `  ${s.database.padEnd(12)} primary in ${SITES[primary.location].city.padEnd(12)} standby in ${SITES[s.location].city}${s.location === primary.location ? '' : ` (${fmt(rttBetween(topology.wan?.rtt ?? siteRttMatrix(), primary.location, s.location))} ms away)`}`;
    });
}


/** One figure of the geography sections, as bench/figures.ts `figure()` records it. */
export interface GeoFigure {
  readonly key: string;
  readonly value: number | string | boolean;
  readonly unit: string;
  readonly digits?: number;
}

/** A city or an operation as a figure key part: `Thiès` → `thies`, `one-site order` → `one-site-order`. */
export function keyPart(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * The figures of the geography table, keyed `geo.<city>.<operation>.<what>` (the distributed
 * platform; `.central.` for the single node in Dakar), with each row's verdicts and the totals the
 * text prints, so that TABLES.geo (bench/report-figures.ts) rebuilds the table from the run alone.
 */
export function geoFigures(rows: readonly GeoRow[]): GeoFigure[] {
  const out: GeoFigure[] = [];
  const cities = new Set<string>();
  const measure = (base: string, m: GeoMeasure) => {
    out.push({ key: `${base}.p50`, value: m.p50, unit: 'ms', digits: 1 });
    out.push({ key: `${base}.p99`, value: m.p99, unit: 'ms', digits: 1 });
    out.push({ key: `${base}.rt`, value: m.roundTrips, unit: '' , digits: 0 });
    out.push({ key: `${base}.access_rt`, value: m.accessRoundTrips, unit: '', digits: 0 });
    out.push({ key: `${base}.wan_ms`, value: m.wanMs, unit: 'ms', digits: 1 });
  };
  let judged = 0;
  let met = 0;
  let floorMet = 0;
  for (const row of rows) {
    const city = `geo.${keyPart(row.city)}`;
    if (!cities.has(city)) {
      cities.add(city);
      out.push({ key: `${city}.city`, value: row.city, unit: '' });
      out.push({ key: `${city}.site`, value: row.site, unit: '' });
      out.push({ key: `${city}.rtt_dakar`, value: row.rttToDakarMs, unit: 'ms', digits: 1 });
      out.push({ key: `${city}.rtt_site`, value: row.rttToSiteMs, unit: 'ms', digits: 1 });
    }
    const base = `${city}.${keyPart(row.operation)}`;
    const v = geoVerdict(row);
    measure(base, row.distributed);
    measure(`${base}.central`, row.centralized);
    out.push({ key: `${base}.ratio`, value: row.distributed.p50 / row.centralized.p50, unit: '×', digits: 2 });
    out.push({ key: `${base}.gain_ms`, value: v.gainMs, unit: 'ms', digits: 1 });
    out.push({ key: `${base}.target`, value: v.kind, unit: '' });
    out.push({ key: `${base}.limit_ms`, value: v.limitMs, unit: 'ms', digits: 1 });
    if (v.met !== null) {
      judged++;
      if (v.met) met++;
      if (v.floorMet) floorMet++;
      out.push({ key: `${base}.met`, value: v.met, unit: '' });
      out.push({ key: `${base}.floor_met`, value: v.floorMet ?? false, unit: '' });
    }
  }
  out.push({ key: 'geo.targets.judged', value: judged, unit: '', digits: 0 });
  out.push({ key: 'geo.targets.met', value: met, unit: '', digits: 0 });
  out.push({ key: 'geo.targets.floor_met', value: floorMet, unit: '', digits: 0 });
  return out;
}

/** The product write's figures: `geo.product_write.*`. */
export function productWriteFigures(r: { distributed: GeoMeasure; centralized: GeoMeasure; replicationTrips: number }): GeoFigure[] {
  return [
    { key: 'geo.product_write.p50', value: r.distributed.p50, unit: 'ms', digits: 1 },
    { key: 'geo.product_write.p99', value: r.distributed.p99, unit: 'ms', digits: 1 },
    { key: 'geo.product_write.rt', value: r.distributed.roundTrips, unit: '', digits: 0 },
    { key: 'geo.product_write.central.p50', value: r.centralized.p50, unit: 'ms', digits: 1 },
    { key: 'geo.product_write.central.p99', value: r.centralized.p99, unit: 'ms', digits: 1 },
    { key: 'geo.product_write.ratio', value: r.distributed.p50 / r.centralized.p50, unit: '×', digits: 2 },
    { key: 'geo.product_write.replication_rt', value: r.replicationTrips, unit: '', digits: 0 },
  ];
}

/** The standby placements' figures: `standby-placement.<city of the standby>.commit.p50` and the rest. */
export function standbyFigures(rows: readonly StandbyPlacement[]): GeoFigure[] {
  const local = rows.find((r) => r.rttMs === 0);
  const out: GeoFigure[] = [];
  for (const r of rows) {
    const base = `standby-placement.${keyPart(r.standbyLocation)}`;
    out.push({ key: `${base}.city`, value: SITES[r.standbyLocation].city, unit: '' });
    out.push({ key: `${base}.rtt`, value: r.rttMs, unit: 'ms', digits: 1 });
    out.push({ key: `${base}.commit.p50`, value: r.p50, unit: 'ms', digits: 2 });
    out.push({ key: `${base}.commit.p99`, value: r.p99, unit: 'ms', digits: 2 });
    out.push({ key: `${base}.commits`, value: r.commits, unit: '', digits: 0 });
    if (local && r !== local) {
      out.push({ key: `${base}.extra_ms`, value: Math.round((r.p50 - local.p50) * 100) / 100, unit: 'ms', digits: 2 });
      out.push({ key: `${base}.ratio`, value: r.p50 / local.p50, unit: '×', digits: 2 });
      out.push({ key: `${base}.extra_over_rtt`, value: r.rttMs > 0 ? (r.p50 - local.p50) / r.rttMs : 0, unit: '×', digits: 2 });
    }
  }
  return out;
}
