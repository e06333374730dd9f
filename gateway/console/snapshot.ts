/**
 * The console's picture of the cluster, served as JSON at `/console/api/snapshot` and polled by the
 * page. Every part comes from where an operator's tool would read it:
 * - server roles, health and replication lag: `clusterStatus`, the probe `teranga status` runs
 *   (`pg_is_in_recovery()` on each server, `pg_stat_replication` on each primary), so the picture
 *   follows a failover as soon as the standby is promoted; pids come from the launcher's state file
 *   when there is one (a local cluster), and are null under compose;
 * - services: their own `/health`;
 * - in-doubt two-phase-commit shares: each region's participant API (`_inDoubt`), asked with the
 *   internal secret like the coordinator asks it;
 * - two-phase-commit phase timings and order outcomes: the orders service's `/metrics`;
 * - the latest requests and orders: what this gateway routed itself (activity.ts).
 * The document is open: sections a later part of the product adds (the payment relay's backlog,
 * one gateway per site, WAN links) have their key now, null or empty until something fills them,
 * and `extensions` takes any further section by name; the page shows what is present.
 */
import { clusterStatus, type ServerStatus, type ServiceStatus } from '../../cluster/status.ts';
import { CITIES } from '../../lib/cities.ts';
import { INTERNAL_SECRET_HEADER } from '../../lib/config.ts';
import { SITE_IDS, SITES, type SiteId } from '../../lib/sites.ts';
import { regionService, serviceByName, type Topology } from '../../lib/topology.ts';
import type { RecentActivity, RecentOrder, RecentRequest } from './activity.ts';

export const SNAPSHOT_VERSION = 1;

export interface ConsoleSite {
  readonly id: SiteId;
  readonly code: string;
  readonly city: string;
  readonly warehouse: string;
  /** WGS84 coordinates of the site's city (lib/cities.ts), for the map. */
  readonly lat: number;
  readonly lon: number;
}

export interface InDoubtShare {
  readonly site: SiteId;
  readonly gid: string;
  readonly preparedAt: string;
  readonly ageMs: number;
}

export interface PhaseTiming {
  readonly phase: string;
  readonly count: number;
  /** Mean duration since the orders service started; null before any sample. */
  readonly meanMs: number | null;
}

export interface OrderOutcome {
  readonly operation: string;
  readonly code: string;
  readonly count: number;
}

export interface GatewayView {
  readonly name: string;
  readonly site: SiteId | null;
  readonly url: string;
  readonly role: ServiceStatus['role'];
}

export interface WanLink {
  readonly from: string;
  readonly to: string;
  readonly latencyMs: number | null;
  readonly state: string;
}

export interface ConsoleSnapshot {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly generatedAt: string;
  readonly network: Topology['network'];
  readonly sites: readonly ConsoleSite[];
  /** Every PostgreSQL server: `site` null for the products and coordinator databases. */
  readonly servers: readonly ServerStatus[];
  readonly services: readonly ServiceStatus[];
  readonly gateways: readonly GatewayView[];
  readonly twoPhaseCommit: {
    readonly inDoubt: readonly InDoubtShare[];
    /** Sites whose participant could not be asked. */
    readonly unreachable: readonly SiteId[];
    /** What the coordinator's last recovery pass left unresolved (its metric); null when unreadable. */
    readonly recoveryPending: number | null;
    readonly phases: readonly PhaseTiming[];
    readonly outcomes: readonly OrderOutcome[];
  };
  readonly recentOrders: readonly RecentOrder[];
  readonly recentRequests: readonly RecentRequest[];
  /** The payment relay's backlog, once the product has one. */
  readonly paymentRelay: { readonly backlog: number; readonly oldestAgeMs: number | null } | null;
  readonly wanLinks: readonly WanLink[];
  readonly extensions: Readonly<Record<string, unknown>>;
  /** What could not be read this time, in words. */
  readonly warnings: readonly string[];
}

export interface SnapshotSources {
  readonly topology: Topology;
  readonly internalSecret: string;
  readonly activity: RecentActivity;
  /** Further sections by name (a later part of the product registers its own). */
  readonly extensions?: Readonly<Record<string, () => Promise<unknown>>>;
  readonly now?: () => number;
}

const TIMEOUT_MS = 1_500;

export function consoleSites(): ConsoleSite[] {
  return SITE_IDS.map((id) => {
    const site = SITES[id];
    const city = CITIES.find((c) => c.name === site.city)!;
    return { id, code: site.code, city: site.city, warehouse: site.warehouse, lat: city.lat, lon: city.lon };
  });
}

async function inDoubtShares(
  sources: SnapshotSources,
  now: number,
): Promise<{ shares: InDoubtShare[]; unreachable: SiteId[] }> {
  const shares: InDoubtShare[] = [];
  const unreachable: SiteId[] = [];
  await Promise.all(
    SITE_IDS.map(async (site) => {
      try {
        const response = await fetch(regionService(sources.topology, site).url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [INTERNAL_SECRET_HEADER]: sources.internalSecret },
          body: JSON.stringify({ query: '{ _inDoubt { gid preparedAt } }' }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const body = (await response.json()) as { data?: { _inDoubt?: { gid: string; preparedAt: string }[] } };
        const list = body.data?._inDoubt;
        if (!list) throw new Error('no answer');
        for (const s of list) shares.push({ site, gid: s.gid, preparedAt: s.preparedAt, ageMs: Math.max(0, now - Date.parse(s.preparedAt)) });
      } catch {
        unreachable.push(site);
      }
    }),
  );
  shares.sort((a, b) => b.ageMs - a.ageMs);
  return { shares, unreachable };
}

/** One Prometheus sample line: name, labels, value. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export function coordinatorFigures(samples: readonly Sample[]): {
  phases: PhaseTiming[];
  outcomes: OrderOutcome[];
  recoveryPending: number | null;
} {
  const phases = ['prepare', 'decision', 'commit'].map((phase) => {
    const of = (suffix: string) => samples.find((s) => s.name === `teranga_2pc_phase_duration_seconds_${suffix}` && s.labels.phase === phase)?.value ?? 0;
    const count = of('count');
    return { phase, count, meanMs: count > 0 ? (of('sum') / count) * 1000 : null };
  });
  const outcomes = samples
    .filter((s) => s.name === 'teranga_order_outcomes_total' && s.value > 0)
    .map((s) => ({ operation: s.labels.operation ?? '', code: s.labels.code ?? '', count: s.value }));
  const pending = samples.find((s) => s.name === 'teranga_2pc_in_doubt_transactions');
  return { phases, outcomes, recoveryPending: pending ? pending.value : null };
}

async function coordinatorMetrics(topology: Topology): Promise<ReturnType<typeof coordinatorFigures> | null> {
  const orders = serviceByName(topology, 'orders');
  try {
    const response = await fetch(`http://${orders.host}:${orders.port}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) return null;
    return coordinatorFigures(parsePrometheus(await response.text()));
  } catch {
    return null;
  }
}

/** The payment relays' backlog over every reachable site, from each region's /metrics. */
export function relayBacklog(samplesBySite: readonly (readonly Sample[])[]): { backlog: number; oldestAgeMs: number | null } | null {
  let backlog = 0;
  let oldest: number | null = null;
  let seen = false;
  for (const samples of samplesBySite) {
    const count = samples.find((s) => s.name === 'teranga_payment_outbox_pending');
    if (!count) continue;
    seen = true;
    backlog += count.value;
    const age = samples.find((s) => s.name === 'teranga_payment_outbox_oldest_age_seconds')?.value ?? 0;
    if (count.value > 0) oldest = Math.max(oldest ?? 0, age * 1000);
  }
  return seen ? { backlog, oldestAgeMs: oldest } : null;
}

async function regionSamples(topology: Topology): Promise<Sample[][]> {
  return Promise.all(
    SITE_IDS.map(async (site) => {
      const region = regionService(topology, site);
      try {
        const response = await fetch(`http://${region.host}:${region.port}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
        return response.ok ? parsePrometheus(await response.text()) : [];
      } catch {
        return [];
      }
    }),
  );
}

export async function collectSnapshot(sources: SnapshotSources): Promise<ConsoleSnapshot> {
  const now = (sources.now ?? Date.now)();
  const warnings: string[] = [];
  const [status, doubt, metrics, regions, extensions] = await Promise.all([
    clusterStatus(sources.topology),
    inDoubtShares(sources, now),
    coordinatorMetrics(sources.topology),
    regionSamples(sources.topology),
    Promise.all(
      Object.entries(sources.extensions ?? {}).map(async ([name, read]) => [name, await read().catch((e: Error) => ({ error: e.message }))] as const),
    ),
  ]);
  if (doubt.unreachable.length > 0) warnings.push(`in-doubt shares unknown at ${doubt.unreachable.join(', ')} (participant unreachable)`);
  if (!metrics) warnings.push('the orders service\'s metrics could not be read');
  return {
    version: SNAPSHOT_VERSION,
    generatedAt: new Date(now).toISOString(),
    network: sources.topology.network,
    sites: consoleSites(),
    servers: status.servers,
    services: status.services,
    gateways: status.services
      .filter((s) => s.kind === 'gateway')
      .map((s) => ({ name: s.name, site: (s.site as SiteId | null) ?? null, url: `http://${s.host}:${s.port}`, role: s.role })),
    twoPhaseCommit: {
      inDoubt: doubt.shares,
      unreachable: doubt.unreachable,
      recoveryPending: metrics?.recoveryPending ?? null,
      phases: metrics?.phases ?? [],
      outcomes: metrics?.outcomes ?? [],
    },
    recentOrders: sources.activity.latestOrders(),
    recentRequests: sources.activity.latestRequests(),
    paymentRelay: relayBacklog(regions),
    wanLinks: [],
    extensions: Object.fromEntries(extensions),
    warnings,
  };
}

/** At most one collection at a time, and none more often than `minIntervalMs`, however many pages poll. */
export function snapshotCache(collect: () => Promise<ConsoleSnapshot>, minIntervalMs = 1_000): () => Promise<ConsoleSnapshot> {
  let last: { at: number; value: Promise<ConsoleSnapshot> } | null = null;
  return () => {
    const now = Date.now();
    if (last && now - last.at < minIntervalMs) return last.value;
    const value = collect();
    last = { at: now, value };
    value.catch(() => {
      last = null;
    });
    return value;
  };
}
