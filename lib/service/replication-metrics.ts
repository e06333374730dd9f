/**
 * Replication lag of the primary a service writes to, read from `pg_stat_replication` when
 * Prometheus scrapes (one cheap query, no polling loop): how far each standby is behind, in seconds
 * of replay and in bytes of WAL. Each service reports the primary it holds a pool to, so every
 * database's standby is covered once (the regions their site's, products and orders theirs).
 */
import { sql, type Kysely } from 'kysely';
import { Gauge, Registry } from 'prom-client';
import { oncePerScrape } from './metrics.ts';

interface ReplicationRow {
  readonly standby: string;
  readonly lag_seconds: number;
  readonly lag_bytes: number;
}

export function replicationMetrics<DB>(db: Kysely<DB>, database: string): Registry {
  const registry = new Registry();
  const read = async (): Promise<readonly ReplicationRow[]> => {
    try {
      const result = await sql<ReplicationRow>`
        SELECT application_name AS standby,
               COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float8 AS lag_seconds,
               COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::float8 AS lag_bytes
        FROM pg_stat_replication`.execute(db);
      return result.rows;
    } catch {
      // the database is down or in recovery: no sample rather than a failed scrape
      return [];
    }
  };
  // both gauges come from one query per scrape
  const once = oncePerScrape(read);
  new Gauge({
    name: 'teranga_replication_lag_seconds',
    help: 'Replay lag of each standby behind its primary (0 when idle and caught up)',
    labelNames: ['database', 'standby'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await once()) this.set({ database, standby: row.standby }, row.lag_seconds);
    },
  });
  new Gauge({
    name: 'teranga_replication_lag_bytes',
    help: 'WAL bytes each standby has yet to replay',
    labelNames: ['database', 'standby'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await once()) this.set({ database, standby: row.standby }, row.lag_bytes);
    },
  });
  return registry;
}
