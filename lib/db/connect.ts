/**
 * Pools and kysely instances for the servers of the topology.
 */
import { Kysely, PostgresDialect, type LogEvent, type PostgresPool } from 'kysely';
import { countStatement } from '../service/request-context.ts';
import pg from 'pg';
import { connectionString, type PostgresServer, type Topology } from '../topology.ts';

// int8 (bigint, count(*)) as numbers: Teranga's amounts and counts stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export interface PoolOptions {
  max?: number;
  /** Shown in pg_stat_activity and in server logs. */
  applicationName?: string;
}

export function createPool(topology: Topology, server: PostgresServer, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: connectionString(topology, server),
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'teranga',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle client losing its server (failover, restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/**
 * A kysely `log` hook that counts each statement against the request being served (its log
 * line shows them: lib/service/request-context.ts); `also` receives every event too.
 */
export function countingLog(also?: (event: LogEvent) => void): (event: LogEvent) => void {
  return (event) => {
    countStatement(event.query.sql);
    also?.(event);
  };
}

export function createKysely<DB>(pool: PostgresPool): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: countingLog() });
}
