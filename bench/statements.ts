/**
 * SQL statements executed per request, counted by pg_stat_statements on every server (reads may
 * be served by standbys).
 */
import { toolClient } from '../lib/db/tool-client.ts';
import { connectionString, type DatabaseRole, type Topology } from '../lib/topology.ts';
import { answeringServers } from './servers.ts';

/** Every server that answers: after a failover the old primary may be down until its rebuild. */
async function eachServer<T>(topology: Topology, sql: string): Promise<T[]> {
  const rows = await Promise.all(
    (await answeringServers(topology)).map(async (server) => {
      const client = toolClient({ connectionString: connectionString(topology, server) });
      await client.connect();
      try {
        // the payments database keeps no statement statistics
        const { rowCount } = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
        return rowCount ? ((await client.query(sql)).rows[0] as T) : null;
      } finally {
        await client.end();
      }
    }),
  );
  return rows.filter((r): r is Awaited<T> => r !== null) as T[];
}

export async function resetStatements(topology: Topology): Promise<void> {
  await eachServer(topology, 'SELECT pg_stat_statements_reset()');
}

/**
 * Statements on the data tables run since the reset: the pools' role probes and recovery's scans
 * of pg_prepared_xacts run on timers, whatever the request.
 */
export async function countStatements(topology: Topology, options: { database?: DatabaseRole } = {}): Promise<number> {
  const scope = options.database ? { ...topology, postgres: topology.postgres.filter((s) => s.database === options.database) } : topology;
  const rows = await eachServer<{ calls: number }>(
    scope,
    `SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements
     WHERE query ~* '\\m(produit|stock|client|commande|ligne_commande|paiement|mouvement_stock)\\M'
       AND query NOT ILIKE '%pg_stat_statements%'
       -- the payment relay's capture, after the order and on its own timer
       AND query NOT ILIKE 'update "paiement" set "statut"%'
       AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows.reduce((sum, r) => sum + r.calls, 0);
}
