/**
 * The two pools a subgraph keeps for its database: one following the primary, for writes and
 * for the reads of the order path, and one reading a standby where some lag is acceptable,
 * without ever missing this process's own acknowledged writes.
 */
import type { DatabaseRole, Topology } from '../topology.ts';
import type { PoolOptions } from './connect.ts';
import { FollowingPool } from './following-pool.ts';
import { parseLsn } from './lsn.ts';
import { ReplicaPool, type ReplicaPoolOptions } from './replica-pool.ts';
import { WriteWatermark } from './write-watermark.ts';

export interface DatabasePools {
  /** The database's current primary: writes, and reads that must see every commit. */
  readonly primary: FollowingPool;
  /** Reads that may lag: a standby while one answers and has replayed this process's writes. */
  readonly replica: ReplicaPool;
}

/**
 * @example
 * const pools = createDatabasePools(topology, 'dakar', { applicationName: 'teranga-region-dakar' });
 * const db = createKysely<SiteDatabase>(pools.primary);
 * const stockDb = createKysely<SiteDatabase>(pools.replica);
 */
export function createDatabasePools(topology: Topology, database: DatabaseRole, options: PoolOptions & ReplicaPoolOptions = {}): DatabasePools {
  const watermark = new WriteWatermark(async () => {
    const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    return parseLsn(rows[0]!.lsn);
  });
  const primary = new FollowingPool(topology, database, { ...options, target: 'primary', onWrite: () => watermark.wrote() });
  const replica = new ReplicaPool(topology, database, primary, watermark, {
    ...options,
    // told apart from the primary pool's sessions in pg_stat_activity
    applicationName: `${options.applicationName ?? 'teranga'}-read`,
  });
  return { primary, replica };
}
