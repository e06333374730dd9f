/**
 * The servers a benchmark talks to, found the way the services find them
 * (lib/db/following-pool.ts): by asking each server of a database whether it is in recovery, never
 * by the roles lib/topology.ts was set up with. After `teranga failover` (or a promotion made by
 * hand in compose) the promoted standby is the primary, and the old primary is a standby or down.
 */
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import { connectionString, type DatabaseRole, type PostgresServer, type Topology } from '../lib/topology.ts';

export type LiveRole = 'primary' | 'standby';

/** What the server does now; null when it does not answer. */
export async function liveRole(topology: Topology, server: PostgresServer): Promise<LiveRole | null> {
  const client = toolClient({ connectionString: connectionString(topology, server), connectionTimeoutMillis: 3_000, application_name: 'teranga-bench' });
  try {
    await client.connect();
    const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    return rows[0]!.standby ? 'standby' : 'primary';
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Every server of the database with the role it plays now (null: down). */
export async function liveServers(topology: Topology, database: DatabaseRole): Promise<{ server: PostgresServer; role: LiveRole | null }[]> {
  const servers = topology.postgres.filter((s) => s.database === database);
  return Promise.all(servers.map(async (server) => ({ server, role: await liveRole(topology, server) })));
}

/** The server that takes the database's writes now. */
export async function livePrimary(topology: Topology, database: DatabaseRole): Promise<PostgresServer> {
  const servers = await liveServers(topology, database);
  const primary = servers.find((s) => s.role === 'primary');
  if (!primary) throw new Error(`No primary of database ${database} answers (${servers.map((s) => `${s.server.name}: ${s.role ?? 'down'}`).join(', ')})`);
  return primary.server;
}

/** A standby of the database that answers now, or null (e.g. while the old primary awaits its rebuild). */
export async function liveStandby(topology: Topology, database: DatabaseRole): Promise<PostgresServer | null> {
  return (await liveServers(topology, database)).find((s) => s.role === 'standby')?.server ?? null;
}

/** Every server of the topology that answers now, whatever its role. */
export async function answeringServers(topology: Topology): Promise<PostgresServer[]> {
  const roles = await Promise.all(topology.postgres.map(async (server) => ({ server, role: await liveRole(topology, server) })));
  return roles.filter((r) => r.role !== null).map((r) => r.server);
}

/** Runs `fn` on a fresh connection to the database's current primary. */
export async function onPrimary<T>(topology: Topology, database: DatabaseRole, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = toolClient({ connectionString: connectionString(topology, await livePrimary(topology, database)), application_name: 'teranga-bench' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
