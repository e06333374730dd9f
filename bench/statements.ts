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

/** Statements on the data tables, but for those of `excluding` (an observer's own queries, as written). */
const dataStatements = (excluding: readonly string[] = []) => `FROM pg_stat_statements
     WHERE query ~* '\\m(produit|stock|client|commande|ligne_commande|paiement|mouvement_stock)\\M'
       AND query NOT ILIKE '%pg_stat_statements%'
       -- the payment relay's capture, after the order and on its own timer
       AND query NOT ILIKE 'update "paiement" set "statut"%'
       -- recovery's scan of the payments to check (payment-checks.ts), on its own timer too
       AND query NOT ILIKE 'WITH candidats AS (%sortie_paiement%'
       AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ${excluding.map((q) => `AND query <> '${q.replaceAll("'", "''")}'`).join(' ')}`;

interface StatementScope {
  readonly database?: DatabaseRole;
  /** Queries of the one counting (a probe polling for a state), exactly as it sent them. */
  readonly excluding?: readonly string[];
}

const scoped = (topology: Topology, database?: DatabaseRole): Topology =>
  database ? { ...topology, postgres: topology.postgres.filter((s) => s.database === database) } : topology;

/**
 * Statements on the data tables run since the reset: the pools' role probes and recovery's scans
 * of pg_prepared_xacts run on timers, whatever the request.
 */
export async function countStatements(topology: Topology, options: StatementScope = {}): Promise<number> {
  const rows = await eachServer<{ calls: number }>(scoped(topology, options.database), `SELECT coalesce(sum(calls), 0)::int AS calls ${dataStatements(options.excluding)}`);
  return rows.reduce((sum, r) => sum + r.calls, 0);
}

/** The statements countStatements counts, with their calls (what to show when a count is off). */
export async function listStatements(topology: Topology, options: StatementScope = {}): Promise<{ calls: number; query: string }[]> {
  const rows = await eachServer<{ list: { calls: number; query: string }[] | null }>(
    scoped(topology, options.database),
    `SELECT json_agg(json_build_object('calls', calls, 'query', left(query, 200)) ORDER BY calls DESC) AS list ${dataStatements(options.excluding)}`,
  );
  return rows.flatMap((r) => r.list ?? []);
}
