import type { Command } from 'commander';
import pg from 'pg';
import { toolClient } from '../../lib/db/tool-client.ts';
import { databaseNamed } from '../../cluster/failover.ts';
import { serversInRoleOrder } from '../../cluster/running-topology.ts';
import { readState } from '../../cluster/state.ts';
import { connectionString, DATABASE_ROLES, topologyFromEnv, type PostgresServer, type Topology } from '../../lib/topology.ts';
import '../../lib/db/connect.ts';

async function connect(topology: Topology, server: PostgresServer): Promise<pg.Client | null> {
  const client = toolClient({ connectionString: connectionString(topology, server), application_name: 'teranga-sql', connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return client;
  } catch {
    await client.end().catch(() => {});
    return null;
  }
}

/** The server that is the database's primary now: asked, not assumed (a monitor may have failed it over). */
async function connectToPrimary(topology: Topology, database: (typeof DATABASE_ROLES)[number]): Promise<{ client: pg.Client; server: PostgresServer }> {
  const tried: string[] = [];
  for (const server of serversInRoleOrder(topology, readState(topology), database)) {
    const client = await connect(topology, server);
    if (!client) {
      tried.push(`${server.name} (${server.host}:${server.port}): no answer`);
      continue;
    }
    const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (!rows[0]!.standby) return { client, server };
    tried.push(`${server.name}: a standby`);
    await client.end();
  }
  throw new Error(`No primary of ${database} answers (${tried.join('; ')}); is the cluster up? (\`npx teranga status\`)`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Rows as an aligned table, as psql prints them. */
export function formatRows(fields: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cells = rows.map((row) => fields.map((f) => cell(row[f])));
  const widths = fields.map((f, i) => Math.max(f.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [
    line([...fields]),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map(line),
    `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
  ].join('\n');
}

/**
 * `teranga sql <database> "<statement>"`: runs SQL on a database of the local cluster (the
 * embedded PostgreSQL ships no psql). A database name goes to its current primary, found by
 * asking each of its servers; a server name (`dakar-standby`) goes to that server.
 */
export function registerSql(program: Command): void {
  program
    .command('sql')
    .argument('<database>', `a database (${DATABASE_ROLES.join(', ')}): its current primary; or a server name (dakar-standby…)`)
    .argument('<statement>', 'the SQL to run (several statements separated by ; run in one call)')
    .description('run SQL on a database of the local cluster and print the result (follows a failover)')
    .option('--json', 'print the rows as JSON')
    .action(async (name: string, statement: string, opts: { json?: boolean }) => {
      const topology = topologyFromEnv();
      const database = databaseNamed(topology, name);
      const named = topology.postgres.find((s) => s.name === name && s.name !== database);
      const { client, server } = named
        ? { client: await connect(topology, named), server: named }
        : await connectToPrimary(topology, database);
      if (!client) throw new Error(`${server.name} (${server.host}:${server.port}) does not answer; is the cluster up? (\`npx teranga status\`)`);
      try {
        const raw = (await client.query(statement)) as pg.QueryResult | pg.QueryResult[];
        const results = Array.isArray(raw) ? raw : [raw];
        if (!opts.json) console.error(`-- ${server.name} (${server.host}:${server.port})`);
        for (const result of results) {
          if (opts.json) console.log(JSON.stringify(result.rows, null, 2));
          else if (result.fields.length > 0) console.log(formatRows(result.fields.map((f) => f.name), result.rows));
          else console.log(`${result.command}${result.rowCount !== null && result.command !== 'BEGIN' && result.command !== 'COMMIT' ? ` ${result.rowCount}` : ''}`);
        }
      } finally {
        await client.end();
      }
    });
}
