-- Per-statement execution counts (pg_stat_statements), read by the benchmarks.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
