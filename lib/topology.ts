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
import { SITE_IDS, SITES, type SiteId } from './sites.ts';

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
export type ServiceName = GatewayName | 'products-subgraph' | CoordinatorName | `region-${SiteId}` | 'payments';

export interface NodeService {
  /** `service`: a plain HTTP service outside the supergraph (the payment provider). */
  readonly kind: 'gateway' | 'subgraph' | 'service';
  readonly name: ServiceName;
  /** Subgraph name in the supergraph (`regions` for every regional process). */
  readonly subgraph: 'products' | 'orders' | 'regions' | null;
  readonly site: SiteId | null;
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
  /** The single-node baseline the benchmarks compare against: one PostgreSQL, one GraphQL server. */
  readonly baseline: { readonly pg: PostgresServer; readonly servicePort: number };
  readonly root: string;
  /** Where the local cluster keeps data directories, logs and its state file. */
  readonly dataDir: string;
  readonly pg: { readonly user: string; readonly password: string; readonly database: string };
  readonly postgres: readonly PostgresServer[];
  readonly services: readonly NodeService[];
}

export interface TopologyOptions {
  network?: Network;
  /** Gateway port; the subgraphs follow it (default 4000: gateway 4000, products 4001, …). */
  servicePort?: number;
  /** First PostgreSQL port; each primary and its standby take the next two (payments: +10, +11). */
  pgPort?: number;
  dataDir?: string;
  host?: string;
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
      { kind: 'postgres', name: database, database, role: 'primary', site, host: hostOf(database), port: port(0), upstream: null },
      { kind: 'postgres', name: standbyName, database, role: 'standby', site, host: hostOf(standbyName), port: port(1), upstream: database },
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
    return { kind, name, subgraph, site, host, listenHost, port, url, entry };
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
    // offsets 0–5 are Dakar's tier and the regions, 7–10 the other sites' tiers, 20 the benchmarks' baseline
    service('payments', 6, 'service', null, null, 'services/payments/index.ts'),
    ...otherSites.map((site, i) => service(`gateway-${site}`, 7 + i, 'gateway', null, site, 'gateway/index.ts')),
    ...otherSites.map((site, i) => service(`orders-${site}`, 7 + otherSites.length + i, 'subgraph', 'orders', site, 'subgraphs/orders/index.ts')),
  ];

  const baselineHost = network === 'compose' ? 'baseline' : localHost;
  const baseline = {
    pg: { kind: 'postgres', name: 'baseline', database: 'products', role: 'primary', site: null, host: baselineHost, port: network === 'compose' ? PG_COMPOSE_PORT : pgPort + 20, upstream: null } as const,
    servicePort: servicePort + 20,
  };

  return Object.freeze({
    network,
    baseline,
    root: REPO_ROOT,
    dataDir: path.resolve(REPO_ROOT, options.dataDir ?? '.teranga'),
    pg: Object.freeze({ user: 'teranga', password: 'teranga', database: 'teranga' }),
    postgres: Object.freeze(postgres),
    services: Object.freeze(services),
  });
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
 * `TERANGA_PG_PORT` (first PostgreSQL port, default 15400), `TERANGA_HOME` (data directory, default .teranga).
 */
export function topologyFromEnv(env: NodeJS.ProcessEnv = process.env): Topology {
  const network = env.TERANGA_NETWORK ?? 'local';
  if (network !== 'local' && network !== 'compose') {
    throw new Error(`TERANGA_NETWORK must be "local" or "compose", got "${network}"`);
  }
  return buildTopology({
    network,
    servicePort: intFromEnv(env, 'TERANGA_PORT'),
    pgPort: intFromEnv(env, 'TERANGA_PG_PORT'),
    dataDir: env.TERANGA_HOME,
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

/** The one process serving an unsharded subgraph (`products`; for `orders`, Dakar's coordinator). */
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
 * Where a process of `fromSite` reaches `server`. Every connection PostgreSQL itself opens to
 * another server of the cluster (a subscription to a publication) asks here, so that a routed
 * network (a link between two sites) applies to it as to the services' own connections.
 */
export function serverAddressFrom(_topology: Topology, server: PostgresServer, _fromSite: SiteId | null): { host: string; port: number } {
  return { host: server.host, port: server.port };
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
