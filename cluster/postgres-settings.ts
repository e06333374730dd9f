/**
 * The server settings every Teranga PostgreSQL server runs with, locally and in compose.
 * A standby needs at least its primary's values for the connection and 2PC limits.
 */
export const POSTGRES_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  max_connections: '100',
  // 2PC: every participant must accept PREPARE TRANSACTION, standbys at least as many as primaries
  max_prepared_transactions: '64',
  // logical: the sites publish their stock and the coordinator its client directory (cluster/logical-copies.ts)
  wal_level: 'logical',
  max_wal_senders: '20',
  max_replication_slots: '20',
  // each site subscribes to the two other warehouses and to the directory
  max_logical_replication_workers: '8',
  max_worker_processes: '16',
  wal_keep_size: '128MB',
  hot_standby: 'on',
  hot_standby_feedback: 'on',
  // With a synchronous standby, a commit returns once the standby has replayed it, so a read sent
  // to the standby after an acknowledged write sees that write (without one, the same as `on`).
  synchronous_commit: 'remote_apply',
  // remote_apply commits wait for the standby's replay: a standby query must not hold it back long
  max_standby_streaming_delay: '1s',
  // statement counts per server: the batching benchmark reads them
  shared_preload_libraries: 'pg_stat_statements',
});
