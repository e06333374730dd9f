/**
 * The coordinator reaches the other databases through postgres_fdw (global reconstruction views)
 * and dblink (the SQL order script). Their foreign-server definitions carry hosts and ports, so
 * they are written from the topology at every boot rather than in a migration.
 */
import type pg from 'pg';
import { SITE_IDS } from './sites.ts';
import { primaryOf, type DatabaseRole, type PostgresServer, type Topology } from './topology.ts';

export const FOREIGN_DATABASES: readonly DatabaseRole[] = ['products', ...SITE_IDS];

/** `srv_products`, `srv_dakar`, `srv_thies`, `srv_saint_louis`. */
export function foreignServerName(role: DatabaseRole): string {
  return `srv_${role.replace(/-/g, '_')}`;
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * @param serverFor the server, or the servers in the order to try them, that hold a database.
 *   Given a primary and its standby, libpq tries each in turn and keeps the one that accepts
 *   writes (`target_session_attrs=read-write`), so the coordinator follows a promotion without
 *   being told: `teranga failover` only reorders the list so the first try succeeds.
 */
export async function ensureForeignServers(
  client: pg.ClientBase,
  topology: Topology,
  serverFor: (role: DatabaseRole) => PostgresServer | readonly PostgresServer[] = (role) => primaryOf(topology, role),
): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
  await client.query('CREATE EXTENSION IF NOT EXISTS dblink');
  for (const role of FOREIGN_DATABASES) {
    const found = serverFor(role);
    const targets: readonly PostgresServer[] = Array.isArray(found) ? found : [found as PostgresServer];
    const name = foreignServerName(role);
    const opts: Record<string, string> = {
      host: targets.map((t) => t.host).join(','),
      port: targets.map((t) => String(t.port)).join(','),
      dbname: topology.pg.database,
      target_session_attrs: targets.length > 1 ? 'read-write' : 'any',
    };
    const existing = await client.query<{ options: string[] | null }>('SELECT srvoptions AS options FROM pg_foreign_server WHERE srvname = $1', [name]);
    if (existing.rowCount === 0) {
      const list = Object.entries(opts).map(([k, v]) => `${k} ${quoteLiteral(v)}`).join(', ');
      await client.query(`CREATE SERVER ${name} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (${list})`);
    } else {
      const set = new Set((existing.rows[0]!.options ?? []).map((o) => o.slice(0, o.indexOf('='))));
      const list = Object.entries(opts).map(([k, v]) => `${set.has(k) ? 'SET' : 'ADD'} ${k} ${quoteLiteral(v)}`).join(', ');
      await client.query(`ALTER SERVER ${name} OPTIONS (${list})`);
    }
    await client.query(
      `CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER ${name} OPTIONS (user ${quoteLiteral(topology.pg.user)}, password ${quoteLiteral(topology.pg.password)})`,
    );
  }
}
