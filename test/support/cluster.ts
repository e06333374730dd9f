/**
 * Access to the test cluster from tests: SQL on any server, GraphQL and HTTP calls to the services.
 */
import pg from 'pg';
import { connectionString, coordinatorNames, DATABASE_ROLES, serverByName, serviceByName, topologyFromEnv, type CoordinatorName, type DatabaseRole, type PostgresServer, type ServiceName } from '../../lib/topology.ts';
import { currentPrimary } from '../../cluster/running-topology.ts';
import { internalHeaders as internalHeadersOf, recoverySettings as coordinatorRecovery, type RecoverySettings } from '../../cluster/coordinator-admin.ts';
import { readState } from '../../cluster/state.ts';
// the same type parsers as the services (bigint as number)
import '../../lib/db/connect.ts';

export type { RecoverySettings };

export const topology = topologyFromEnv();

/**
 * The server `name` designates: a database's name (`dakar`) means the server that is its primary
 * now, which a failover test may have moved to its standby; any other name is that server.
 */
export function serverNamed(name: string): PostgresServer {
  if ((DATABASE_ROLES as readonly string[]).includes(name)) return currentPrimary(topology, readState(topology), name as DatabaseRole);
  return serverByName(topology, name);
}

/** Runs SQL on one server of the topology (`dakar`, `thies-standby`, `coordinator`, …; see serverNamed). */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  server: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: connectionString(topology, serverNamed(server)) });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

const readers = new Map<string, pg.Pool>();

/**
 * Runs a read-only query on one server through a connection kept open for the next one: for the
 * checks a file takes around every request or polls for (fingerprints, invariants), where opening
 * a connection per query was most of the cost (a hostile-input run: 10.5 s, 2.2 s with these).
 * Sessions carry no state here; `sql` stays the way to write or to hold a session.
 */
export async function read<T extends pg.QueryResultRow = Record<string, unknown>>(server: string, text: string, params: unknown[] = []): Promise<T[]> {
  const url = connectionString(topology, serverNamed(server));
  let pool = readers.get(url);
  if (!pool) {
    pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 1_000, allowExitOnIdle: true });
    // an idle connection whose server went away (a failover): the next query opens another
    pool.on('error', () => {});
    readers.set(url, pool);
  }
  return (await pool.query<T>(text, params)).rows;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export function serviceUrl(name: ServiceName): string {
  return serviceByName(topology, name).url;
}

export function gatewayOrigin(): string {
  const gateway = serviceByName(topology, 'gateway');
  return `http://${gateway.host}:${gateway.port}`;
}

/** POSTs a GraphQL operation (to the gateway unless `url` says otherwise). */
export async function graphql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  options: { url?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(options.url ?? serviceUrl('gateway'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** Headers of a trusted internal call (the 2PC participant API). */
export function internalHeaders(): Record<string, string> {
  return internalHeadersOf(topology);
}

/**
 * The coordinator's recovery settings, changed on the running process when `change` is given
 * (the operator endpoint `/internal/recovery`): a suite sets what it needs and puts back what it
 * found, instead of restarting the coordinator with other settings.
 */
export function recoverySettings(change?: Partial<RecoverySettings>, coordinator: CoordinatorName = 'orders'): Promise<RecoverySettings> {
  return coordinatorRecovery(topology, coordinator, change);
}

/**
 * Every site's coordinator runs a recovery loop over every site's prepared shares: a suite that
 * needs a share left alone must tell each of them. Returns a function that puts back what each had.
 */
export async function everyCoordinatorRecovery(change: Partial<RecoverySettings>): Promise<() => Promise<void>> {
  const found = await Promise.all(coordinatorNames().map(async (name) => [name, await recoverySettings(undefined, name)] as const));
  await Promise.all(coordinatorNames().map((name) => recoverySettings(change, name)));
  return async () => {
    await Promise.all(found.map(([name, settings]) => recoverySettings(settings, name)));
  };
}

/** Arms a crash point of the running coordinator (the test cluster enables fault injection). */
export async function armFault(point: string): Promise<void> {
  const response = await fetch(serviceUrl('orders').replace('/graphql', '/internal/fault'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...internalHeaders() },
    body: JSON.stringify({ point }),
  });
  if (!response.ok) throw new Error(`/internal/fault answered ${response.status}: ${await response.text()}`);
}
