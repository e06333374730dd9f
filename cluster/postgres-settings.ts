/**
 * The server settings every Teranga PostgreSQL server runs with, locally and in compose.
 * A standby needs at least its primary's values for the connection and 2PC limits.
 */
export const POSTGRES_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  max_connections: '100',
  // 2PC: every participant must accept PREPARE TRANSACTION, standbys at least as many as primaries
  max_prepared_transactions: '64',
  wal_level: 'replica',
  max_wal_senders: '10',
  max_replication_slots: '10',
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
