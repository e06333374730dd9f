/**
 * Where everything runs: every PostgreSQL server and every Node service, with its name, role,
 * host and port. The launcher, the subgraphs, the gateway, compose.yaml's generator and the
 * benchmarks all read this module; nothing else hard-codes a port or a host.
 *
 * Two networks share one shape:
 * - `local`: everything on 127.0.0.1, each server on its own port (base ports from the environment);
 * - `compose`: each server is a compose service reached by its name, PostgreSQL on 5432.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SITE_IDS, SITES, isSiteId, type SiteId } from './sites.ts';
import { placement } from './placement.ts';
import { cityNamed, modelRttMs, parseRttOverride, rttBetween, siteRttMatrix, type RttMatrix } from './wan/model.ts';

export { SITE_IDS, SITES, type SiteId } from './sites.ts';

/**
 * The logical databases; each lives on its own primary server. `payments` is the payment
 * provider's own ledger (services/payments), apart from every Teranga database.
 */
export const DATABASE_ROLES = ['products', ...SITE_IDS, 'coordinator', 'payments'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

export type Network = 'local' | 'compose';

export interface PostgresServer {
  readonly kind: 'postgres';
  /** `dakar`, `dakar-standby`, … */
  readonly name: string;
  /** The logical database it holds. */
  readonly database: DatabaseRole;
  /** The role it was configured with; failover may promote a standby at run time. */
  readonly role: 'primary' | 'standby';
  readonly site: SiteId | null;
  /**
   * The city it runs in (see LOCATIONS): a site's fragment and its standby in that site's city,
   * products, coordinator and payments in Dakar. Under the simulated WAN, processes of different
   * locations talk through the WAN links.
   */
  readonly location: SiteId;
  readonly host: string;
  readonly port: number;
  /** For a standby: the primary it streams from. */
  readonly upstream: string | null;
}

/**
 * Every site runs a serving tier: a gateway and an order coordinator. Dakar's keep the historical
 * names `gateway` and `orders` (and the gateway keeps TERANGA_PORT), so existing clients and tools
 * keep working; the other sites' are `gateway-<site>` and `orders-<site>`.
 */
export type GatewayName = 'gateway' | `gateway-${Exclude<SiteId, 'dakar'>}`;
export type CoordinatorName = 'orders' | `orders-${Exclude<SiteId, 'dakar'>}`;
/**
 * Every site serves the catalogue from its own city: Dakar's `products-subgraph` reads the products
 * database's standby there, the other sites' `products-<site>` read their site's copy of `produit`
 * (database `copie_produits`, fed by logical replication: cluster/logical-copies.ts).
 */
export type ProductsName = 'products-subgraph' | `products-${Exclude<SiteId, 'dakar'>}`;
export type ServiceName = GatewayName | ProductsName | CoordinatorName | `region-${SiteId}` | 'payments' | 'wan';

export interface NodeService {
  /** `service`: a plain HTTP service outside the supergraph (the payment provider). */
  readonly kind: 'gateway' | 'subgraph' | 'service';
  readonly name: ServiceName;
  /** Subgraph name in the supergraph (`regions` for every regional process). */
  readonly subgraph: 'products' | 'orders' | 'regions' | null;
  readonly site: SiteId | null;
  /** The city it runs in (see PostgresServer.location). */
  readonly location: SiteId;
  /** The address others use to reach it. */
  readonly host: string;
  /** The address it binds: its host locally, every interface in a container. */
  readonly listenHost: string;
  readonly port: number;
  /** The GraphQL endpoint of a subgraph or the gateway; the base URL of a plain service. */
  readonly url: string;
  /** Module that starts it (relative to the repository root). */
  readonly entry: string;
}

export interface Topology {
  readonly network: Network;
  /**
   * The single-node baseline the benchmarks compare against: one PostgreSQL, one GraphQL server,
   * and the PostgreSQL's standby, so that it commits with the cluster's durability.
   */
  readonly baseline: { readonly pg: PostgresServer; readonly standby: PostgresServer; readonly servicePort: number };
  readonly root: string;
  /** Where the local cluster keeps data directories, logs and its state file. */
  readonly dataDir: string;
  readonly pg: { readonly user: string; readonly password: string; readonly database: string };
  readonly postgres: readonly PostgresServer[];
  readonly services: readonly NodeService[];
  /** The simulated WAN (`teranga up --wan`), or null: every process talks directly. */
  readonly wan: WanPlan | null;
}

export type WanKind = 'http' | 'sql' | 'replication';

/** A listener of the WAN proxy at `port` that forwards to `target`, as if from `from`'s city. */
export interface ProxiedLink {
  /** `thies->region-dakar`, `dakar->thies-standby/replication`, `ziguinchor->gateway-thies` */
  readonly id: string;
  /** A site id, or the key of a city without a site (cityKey). */
  readonly from: string;
  readonly to: SiteId;
  readonly kind: WanKind;
  /** Name of the target server or service. */
  readonly target: string;
  readonly targetHost: string;
  readonly targetPort: number;
  /** Where the proxy listens. */
  readonly host: string;
  readonly port: number;
  readonly rttMs: number;
}

/** One link of the cluster's own WAN: between two sites' cities. */
export interface WanLink extends ProxiedLink {
  readonly from: SiteId;
}

export interface WanPlan {
  readonly rtt: RttMatrix;
  readonly links: readonly WanLink[];
  /**
   * The links of what the cluster is measured against, outside the cluster's own processes: a
   * customer in a city without a site reaching the gateway that serves it, every customer city
   * reaching the single-node baseline placed in Dakar (http), and the baseline's standby placed in
   * another city (replication). The proxy runs them with the others; only the benchmarks use them.
   */
  readonly outside: readonly ProxiedLink[];
  /** The proxy process's HTTP port: /health, /counters (GET), /counters/reset (POST). */
  readonly controlUrl: string;
}

export interface TopologyOptions {
  network?: Network;
  /** Gateway port; the subgraphs follow it (default 4000: gateway 4000, products 4001, …). */
  servicePort?: number;
  /** First PostgreSQL port; each primary and its standby take the next two (payments: +10, +11). */
  pgPort?: number;
  dataDir?: string;
  host?: string;
  /** Turns the simulated WAN on, with these RTT overrides (TERANGA_WAN_RTT_MS syntax). */
  wan?: { readonly rttOverride?: string; readonly port?: number } | null;
  /** Where each database's standby runs, when not with its primary (TERANGA_STANDBY_SITES). */
  standbyLocations?: Partial<Record<DatabaseRole, SiteId>>;
}

/**
 * Where the processes without a site of their own run: Dakar, the capital, the largest customer
 * base and the country's best-connected city (the landing point of the submarine cables).
 */
export const CENTRAL_LOCATION: SiteId = 'dakar';

function locationOf(database: DatabaseRole): SiteId {
  return isSiteId(database) ? database : CENTRAL_LOCATION;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_SERVICE_PORT = 4000;
export const DEFAULT_PG_PORT = 15400;

const PG_COMPOSE_PORT = 5432;

export function buildTopology(options: TopologyOptions = {}): Topology {
  const network = options.network ?? 'local';
  const servicePort = options.servicePort ?? DEFAULT_SERVICE_PORT;
  const pgPort = options.pgPort ?? DEFAULT_PG_PORT;
  const localHost = options.host ?? '127.0.0.1';
  const hostOf = (name: string) => (network === 'compose' ? name : localHost);

  const postgres: PostgresServer[] = DATABASE_ROLES.flatMap((database, i) => {
    const site = (SITE_IDS as readonly string[]).includes(database) ? (database as SiteId) : null;
    const standbyName = `${database}-standby`;
    const port = (offset: number) => (network === 'compose' ? PG_COMPOSE_PORT : pgPort + 2 * i + offset);
    return [
      { kind: 'postgres', name: database, database, role: 'primary', site, location: locationOf(database), host: hostOf(database), port: port(0), upstream: null },
      { kind: 'postgres', name: standbyName, database, role: 'standby', site, location: options.standbyLocations?.[database] ?? locationOf(database), host: hostOf(standbyName), port: port(1), upstream: database },
    ] as const;
  });

  const service = (
    name: ServiceName,
    offset: number,
    kind: NodeService['kind'],
    subgraph: NodeService['subgraph'],
    site: SiteId | null,
    entry: string,
  ): NodeService => {
    const host = hostOf(name);
    const listenHost = network === 'compose' ? '0.0.0.0' : host;
    const port = servicePort + offset;
    const url = kind === 'service' ? `http://${host}:${port}` : `http://${host}:${port}/graphql`;
    return { kind, name, subgraph, site, location: site ?? CENTRAL_LOCATION, host, listenHost, port, url, entry };
  };

  const otherSites = SITE_IDS.filter((site): site is Exclude<SiteId, 'dakar'> => site !== 'dakar');
  const services: NodeService[] = [
    // Dakar's serving tier first: the first gateway and the first coordinator are Dakar's
    service('gateway', 0, 'gateway', null, 'dakar', 'gateway/index.ts'),
    service('products-subgraph', 1, 'subgraph', 'products', null, 'subgraphs/products/index.ts'),
    service('orders', 2, 'subgraph', 'orders', 'dakar', 'subgraphs/orders/index.ts'),
    ...SITE_IDS.map((site, i) =>
      service(`region-${site}`, 3 + i, 'subgraph', 'regions', site, 'subgraphs/region/index.ts'),
    ),
    // offsets 0–5 are Dakar's tier and the regions, 7–12 the other sites' tiers, 20 the benchmarks' baseline
    service('payments', 6, 'service', null, null, 'services/payments/index.ts'),
    ...otherSites.map((site, i) => service(`gateway-${site}`, 7 + i, 'gateway', null, site, 'gateway/index.ts')),
    ...otherSites.map((site, i) => service(`orders-${site}`, 7 + otherSites.length + i, 'subgraph', 'orders', site, 'subgraphs/orders/index.ts')),
    ...otherSites.map((site, i) => service(`products-${site}`, 7 + 2 * otherSites.length + i, 'subgraph', 'products', site, 'subgraphs/products/index.ts')),
    // offset 25: the WAN proxy's control port, when the WAN is simulated
    ...(options.wan ? [service('wan', 25, 'service', null, null, 'lib/wan/main.ts')] : []),
  ];

  const baselineHost = network === 'compose' ? 'baseline' : localHost;
  const baseline = {
    pg: { kind: 'postgres', name: 'baseline', database: 'products', role: 'primary', site: null, location: CENTRAL_LOCATION, host: baselineHost, port: network === 'compose' ? PG_COMPOSE_PORT : pgPort + 20, upstream: null } as const,
    standby: { kind: 'postgres', name: 'baseline-standby', database: 'products', role: 'standby', site: null, location: CENTRAL_LOCATION, host: baselineHost, port: network === 'compose' ? PG_COMPOSE_PORT + 1 : pgPort + 21, upstream: 'baseline' } as const,
    servicePort: servicePort + 20,
  };

  const wan = options.wan ? wanPlan(postgres, services, baseline, options.wan.rttOverride, options.wan.port ?? pgPort + 100, localHost) : null;
  return Object.freeze({
    network,
    wan,
    baseline,
    root: REPO_ROOT,
    dataDir: path.resolve(REPO_ROOT, options.dataDir ?? '.teranga'),
    pg: Object.freeze({ user: 'teranga', password: 'teranga', database: 'teranga' }),
    postgres: Object.freeze(postgres),
    services: Object.freeze(services),
  });
}

/**
 * Every WAN link: from each site to each server and service located elsewhere (sql, http), and
 * between the two servers of a database located apart (replication, both ways, since a failover
 * turns the pair around). Ports from `base` in this order, so every process computes the same plan.
 */
function wanPlan(postgres: readonly PostgresServer[], services: readonly NodeService[], baseline: Topology['baseline'], rttOverride: string | undefined, base: number, host: string): WanPlan {
  const rtt = siteRttMatrix(parseRttOverride(rttOverride));
  const links: WanLink[] = [];
  const add = (from: SiteId, to: SiteId, kind: WanKind, target: { name: string; host: string; port: number }) => {
    links.push(Object.freeze({
      id: `${from}->${target.name}${kind === 'replication' ? '/replication' : ''}`,
      from, to, kind, target: target.name, targetHost: target.host, targetPort: target.port,
      host, port: base + links.length, rttMs: rttBetween(rtt, from, to),
    }));
  };
  for (const from of SITE_IDS) {
    for (const server of postgres) if (server.location !== from) add(from, server.location, 'sql', server);
    for (const service of services) if (service.name !== 'wan' && service.location !== from) add(from, service.location, 'http', service);
  }
  for (const server of postgres) {
    for (const other of postgres) {
      if (other.database === server.database && other.name !== server.name && other.location !== server.location) add(server.location, other.location, 'replication', other);
    }
  }
  // logical replication: each site's server subscribes to the other warehouses' stock, the
  // coordinator's directory and the products catalogue (cluster/logical-copies.ts), primaries and
  // standbys alike, since a failover makes a standby the publisher
  for (const from of SITE_IDS) {
    for (const server of postgres) {
      if (server.database === 'payments' || server.database === from || server.location === from) continue;
      if (!links.some((l) => l.id === `${from}->${server.name}/replication`)) add(from, server.location, 'replication', server);
    }
  }
  // after the cluster's links, so that adding a customer city moves none of the cluster's ports
  const outside: ProxiedLink[] = [];
  const addOutside = (from: string, to: SiteId, kind: WanKind, rttMs: number, target: { name: string; host: string; port: number }) => {
    outside.push(Object.freeze({
      id: `${from}->${target.name}${kind === 'replication' ? '/replication' : ''}`,
      from, to, kind, target: target.name, targetHost: target.host, targetPort: target.port,
      host, port: base + links.length + outside.length, rttMs,
    }));
  };
  const baselineService = { name: 'baseline', host: baseline.pg.host, port: baseline.servicePort };
  for (const city of customerCities()) {
    const from = cityKey(city);
    const site = placement(city).site;
    const rttTo = (to: SiteId) => (isSiteId(from) ? rttBetween(rtt, from, to) : modelRttMs(cityNamed(city), cityNamed(SITES[to].city)));
    if (!isSiteId(from)) {
      const gateway = services.find((s) => s.kind === 'gateway' && s.site === site)!;
      addOutside(from, site, 'http', rttTo(site), gateway);
    }
    if (baseline.pg.location !== from) addOutside(from, baseline.pg.location, 'http', rttTo(baseline.pg.location), baselineService);
  }
  for (const site of SITE_IDS) {
    if (site !== baseline.pg.location) addOutside(site, baseline.pg.location, 'replication', rttBetween(rtt, site, baseline.pg.location), baseline.pg);
  }
  const control = services.find((s) => s.name === 'wan');
  return Object.freeze({ rtt, links: Object.freeze(links), outside: Object.freeze(outside), controlUrl: control ? control.url : '' });
}

/**
 * Cities without a site whose customers the geography benchmark places: Ziguinchor, the largest
 * city of the south, about as far from Thiès (which serves it) as from Dakar.
 */
export const PLACED_CUSTOMER_CITIES = ['Ziguinchor'] as const;

/** The cities the geography benchmark serves customers in: each site's, then the placed ones. */
export function customerCities(): string[] {
  return [...SITE_IDS.map((site) => SITES[site].city), ...PLACED_CUSTOMER_CITIES];
}

/** A city's key in link ids: its site id for a site's city (`Thiès` → `thies`), else its name in lower-case ASCII. */
export function cityKey(city: string): string {
  const name = cityNamed(city).name;
  const site = SITE_IDS.find((s) => SITES[s].city === name);
  return site ?? name.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/\s+/g, '-');
}

/**
 * How a customer in `city` reaches its own site's gateway and the centralized baseline: the URLs
 * it dials (through its city's links under --wan) and the RTT each costs. Same city: direct, 0 ms.
 */
export function customerAccess(topology: Topology, city: string): {
  readonly city: string;
  readonly key: string;
  readonly site: SiteId;
  readonly gateway: { readonly url: string; readonly rttMs: number; readonly link: string | null };
  readonly baseline: { readonly url: string; readonly rttMs: number; readonly link: string | null };
} {
  const key = cityKey(city);
  const site = placement(city).site;
  const gateway = siteGateway(topology, site);
  const baselineUrl = `http://${topology.baseline.pg.host}:${topology.baseline.servicePort}/graphql`;
  const via = (target: string, url: string, directHost: string, directPort: number) => {
    const link = isSiteId(key) && target !== 'baseline' ? wanLinkFrom(topology, key, { name: target, kind: 'gateway' }, 'http') : (topology.wan?.outside.find((l) => l.from === key && l.target === target && l.kind === 'http') ?? null);
    return link
      ? { url: url.replace(`//${directHost}:${directPort}`, `//${link.host}:${link.port}`), rttMs: link.rttMs, link: link.id }
      : { url, rttMs: 0, link: null };
  };
  return {
    city: cityNamed(city).name,
    key,
    site,
    gateway: via(gateway.name, gateway.url, gateway.host, gateway.port),
    baseline: via('baseline', baselineUrl, topology.baseline.pg.host, topology.baseline.servicePort),
  };
}

/** The WAN link a process at `from` uses to reach `target`, or null when it connects directly. */
export function wanLinkFrom(topology: Topology, from: SiteId | null, target: { readonly name: string; readonly kind?: string }, kind?: WanKind): ProxiedLink | null {
  if (!topology.wan || from === null) return null;
  const wanted: WanKind = kind ?? (target.kind === 'postgres' ? 'sql' : 'http');
  const match = (l: ProxiedLink) => l.from === from && l.target === target.name && l.kind === wanted;
  // the baseline's standby placed in another city streams through an outside link
  return topology.wan.links.find(match) ?? topology.wan.outside.find(match) ?? null;
}

/**
 * THE function every connection goes through: the host and port a process located at `from`
 * (null: the operator's tools, always direct) dials to reach a server or service. Same city, or no
 * simulated WAN: the target itself; otherwise the listener of the WAN link from→target.
 */
export function endpointFrom(
  topology: Topology,
  from: SiteId | null,
  target: PostgresServer | NodeService,
  kind?: WanKind,
): { readonly host: string; readonly port: number } {
  const link = wanLinkFrom(topology, from, target, kind);
  return link ? { host: link.host, port: link.port } : { host: target.host, port: target.port };
}

/**
 * The topology as a process located at `site` sees it: every server and service at another
 * location is addressed through its WAN link (endpointFrom), so connection strings and URLs built
 * from it cross the simulated WAN. Identity when the WAN is off.
 */
export function topologySeenFrom(topology: Topology, site: SiteId | null): Topology {
  if (!topology.wan || site === null) return topology;
  const postgres = topology.postgres.map((s) => ({ ...s, ...endpointFrom(topology, site, s) }));
  const services = topology.services.map((s): NodeService => {
    if (s.location === site || s.name === 'wan') return s;
    const { host, port } = endpointFrom(topology, site, s);
    const url = s.url.replace(`//${s.host}:${s.port}`, `//${host}:${port}`);
    return { ...s, host, port, url };
  });
  return Object.freeze({ ...topology, postgres: Object.freeze(postgres), services: Object.freeze(services) });
}

function parseStandbyLocations(raw: string | undefined): Partial<Record<DatabaseRole, SiteId>> {
  const out: Partial<Record<DatabaseRole, SiteId>> = {};
  for (const item of (raw ?? '').split(',').map((i) => i.trim()).filter(Boolean)) {
    const [database, site] = item.split('=').map((p) => p.trim());
    if (!database || !(DATABASE_ROLES as readonly string[]).includes(database) || !site || !isSiteId(site)) {
      throw new Error(`TERANGA_STANDBY_SITES: "${item}" is not "database=site" (databases: ${DATABASE_ROLES.join(', ')}; sites: ${SITE_IDS.join(', ')})`);
    }
    out[database as DatabaseRole] = site;
  }
  return out;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

/**
 * The topology this process runs in, from the environment:
 * `TERANGA_NETWORK` (local|compose), `TERANGA_PORT` (gateway port, default 4000),
 * `TERANGA_PG_PORT` (first PostgreSQL port, default 15400), `TERANGA_HOME` (data directory, default .teranga),
 * `TERANGA_WAN=1` (the simulated WAN, `teranga up --wan`; `TERANGA_WAN_RTT_MS` overrides the RTT model,
 * `TERANGA_WAN_PORT` the first link port, default TERANGA_PG_PORT + 100),
 * `TERANGA_STANDBY_SITES` (`thies=dakar`: where a database's standby runs, default with its primary).
 * In a service process (`TERANGA_SERVICE`), the topology is seen from the service's location
 * (topologySeenFrom): addresses in other cities are their WAN links' listeners.
 */
export function topologyFromEnv(env: NodeJS.ProcessEnv = process.env): Topology {
  const topology = directTopologyFromEnv(env);
  // a service sees the others from its own city: under --wan its connections cross the WAN links
  const self = topology.services.find((s) => s.name === env.TERANGA_SERVICE);
  return self && self.name !== 'wan' ? topologySeenFrom(topology, self.location) : topology;
}

/** topologyFromEnv() without the service's point of view: every address direct (the WAN proxy's view). */
export function directTopologyFromEnv(env: NodeJS.ProcessEnv = process.env): Topology {
  const network = env.TERANGA_NETWORK ?? 'local';
  if (network !== 'local' && network !== 'compose') {
    throw new Error(`TERANGA_NETWORK must be "local" or "compose", got "${network}"`);
  }
  return buildTopology({
    network,
    servicePort: intFromEnv(env, 'TERANGA_PORT'),
    pgPort: intFromEnv(env, 'TERANGA_PG_PORT'),
    dataDir: env.TERANGA_HOME,
    wan: env.TERANGA_WAN === '1' ? { rttOverride: env.TERANGA_WAN_RTT_MS, port: intFromEnv(env, 'TERANGA_WAN_PORT') } : null,
    standbyLocations: parseStandbyLocations(env.TERANGA_STANDBY_SITES),
  });
}

export function primaryOf(topology: Topology, database: DatabaseRole): PostgresServer {
  const server = topology.postgres.find((s) => s.database === database && s.role === 'primary');
  if (!server) throw new Error(`No primary for database ${database}`);
  return server;
}

export function standbyOf(topology: Topology, database: DatabaseRole): PostgresServer {
  const server = topology.postgres.find((s) => s.database === database && s.role === 'standby');
  if (!server) throw new Error(`No standby for database ${database}`);
  return server;
}

export function serverByName(topology: Topology, name: string): PostgresServer {
  const server = topology.postgres.find((s) => s.name === name);
  if (!server) throw new Error(`Unknown server "${name}"; known: ${topology.postgres.map((s) => s.name).join(', ')}`);
  return server;
}

export function serviceByName(topology: Topology, name: ServiceName): NodeService {
  const service = topology.services.find((s) => s.name === name);
  if (!service) throw new Error(`Unknown service "${name}"`);
  return service;
}

/** The gateway of a site: the one its customers use. */
export function siteGateway(topology: Topology, site: SiteId): NodeService {
  return serviceByName(topology, site === 'dakar' ? 'gateway' : `gateway-${site}`);
}

/** The order coordinator of a site, which that site's gateway uses. */
export function siteCoordinator(topology: Topology, site: SiteId): NodeService {
  return serviceByName(topology, site === 'dakar' ? 'orders' : `orders-${site}`);
}

/**
 * The service this process runs as (`TERANGA_SERVICE`, set by the launcher and compose.yaml),
 * when it is one of `candidates`; else the first candidate (Dakar's, for a gateway or a coordinator).
 */
export function selfService(topology: Topology, candidates: readonly ServiceName[], env: NodeJS.ProcessEnv = process.env): NodeService {
  const name = env.TERANGA_SERVICE;
  const chosen = candidates.find((c) => c === name) ?? candidates[0]!;
  return serviceByName(topology, chosen);
}

export function gatewayNames(): GatewayName[] {
  return SITE_IDS.map((site) => (site === 'dakar' ? 'gateway' : (`gateway-${site}` as GatewayName)));
}

export function coordinatorNames(): CoordinatorName[] {
  return SITE_IDS.map((site) => (site === 'dakar' ? 'orders' : (`orders-${site}` as CoordinatorName)));
}

/** The products subgraph of a site: the one its gateway and its coordinator read the catalogue from. */
export function siteProducts(topology: Topology, site: SiteId): NodeService {
  return serviceByName(topology, site === 'dakar' ? 'products-subgraph' : `products-${site}`);
}

export function productsNames(): ProductsName[] {
  return SITE_IDS.map((site) => (site === 'dakar' ? 'products-subgraph' : (`products-${site}` as ProductsName)));
}

/**
 * The sites whose products subgraph reads a local copy of `produit` (database CATALOG_COPY_DATABASE
 * on the site's server): every site outside the products database's city, where its standby serves.
 */
export function catalogCopySites(topology: Topology): SiteId[] {
  const home = primaryOf(topology, 'products').location;
  return SITE_IDS.filter((site) => site !== home);
}

/** The database, on a site's server, holding the copy of the products database's `produit`. */
export const CATALOG_COPY_DATABASE = 'copie_produits';

/** The first process serving a subgraph (`products`, `orders`: Dakar's; the supergraph's placeholder URL). */
export function subgraphService(topology: Topology, subgraph: 'products' | 'orders'): NodeService {
  const service = topology.services.find((s) => s.subgraph === subgraph);
  if (!service) throw new Error(`No service serves subgraph "${subgraph}"`);
  return service;
}

export function regionService(topology: Topology, site: SiteId): NodeService {
  return serviceByName(topology, `region-${site}`);
}

export function connectionString(topology: Topology, server: PostgresServer): string {
  const { user, password, database } = topology.pg;
  return `postgres://${user}:${encodeURIComponent(password)}@${server.host}:${server.port}/${database}`;
}

/** A server's database under another name than the application's (the local copies, `copie_<site>`). */
export function connectionStringTo(topology: Topology, server: PostgresServer, database: string): string {
  const { user, password } = topology.pg;
  return `postgres://${user}:${encodeURIComponent(password)}@${server.host}:${server.port}/${database}`;
}

/**
 * Where a server of `fromSite` reaches `server`. Every connection PostgreSQL itself opens to
 * another server of the cluster (a subscription to a publication) asks here: under the simulated
 * WAN it crosses that pair's replication link, as the services' own connections cross theirs.
 */
export function serverAddressFrom(topology: Topology, server: PostgresServer, fromSite: SiteId | null): { host: string; port: number } {
  return endpointFrom(topology, fromSite, server, 'replication');
}

/** libpq key/value connection string for a connection a server of `fromSite` opens to `server` (CREATE SUBSCRIPTION). */
export function serverConninfo(topology: Topology, server: PostgresServer, fromSite: SiteId | null, applicationName: string): string {
  const { host, port } = serverAddressFrom(topology, server, fromSite);
  const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    `host=${quote(host)}`,
    `port=${port}`,
    `dbname=${quote(topology.pg.database)}`,
    `user=${quote(topology.pg.user)}`,
    `password=${quote(topology.pg.password)}`,
    `application_name=${quote(applicationName)}`,
  ].join(' ');
}

/** The database at each site holding the local copy of `source`'s warehouse stock. */
export function copyDatabase(source: SiteId): string {
  return `copie_${source.replace(/-/g, '_')}`;
}
