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

export async function ensureForeignServers(
  client: pg.ClientBase,
  topology: Topology,
  serverFor: (role: DatabaseRole) => PostgresServer = (role) => primaryOf(topology, role),
): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
  await client.query('CREATE EXTENSION IF NOT EXISTS dblink');
  for (const role of FOREIGN_DATABASES) {
    const target = serverFor(role);
    const name = foreignServerName(role);
    const opts = {
      host: target.host,
      port: String(target.port),
      dbname: topology.pg.database,
    };
    const exists = (await client.query('SELECT 1 FROM pg_foreign_server WHERE srvname = $1', [name])).rowCount;
    if (!exists) {
      const list = Object.entries(opts).map(([k, v]) => `${k} ${quoteLiteral(v)}`).join(', ');
      await client.query(`CREATE SERVER ${name} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (${list})`);
    } else {
      const list = Object.entries(opts).map(([k, v]) => `SET ${k} ${quoteLiteral(v)}`).join(', ');
      await client.query(`ALTER SERVER ${name} OPTIONS (${list})`);
    }
    await client.query(
      `CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER ${name} OPTIONS (user ${quoteLiteral(topology.pg.user)}, password ${quoteLiteral(topology.pg.password)})`,
    );
  }
}
