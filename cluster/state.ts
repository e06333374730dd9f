/**
 * What the running local cluster looks like beyond the static topology: where the PostgreSQL data
 * lives, which pid runs each service, and which server currently acts as each database's primary
 * (a failover changes it). Kept as JSON in the data directory so every command sees it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseRole, Topology } from '../lib/topology.ts';

export interface ClusterState {
  /** Root of the PostgreSQL data directories (may differ from dataDir when run as root). */
  pgRoot: string;
  binDir: string;
  /** database role → name of the server acting as its primary, when it differs from the topology. */
  primaries: Partial<Record<DatabaseRole, string>>;
  services: Record<string, { pid: number; startedAt: string }>;
  /** Replication mode the servers were configured with. */
  synchronous: boolean;
}

export function statePath(topology: Topology): string {
  return path.join(topology.dataDir, 'state.json');
}

export function readState(topology: Topology): ClusterState | null {
  const file = statePath(topology);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

export function writeState(topology: Topology, state: ClusterState): void {
  mkdirSync(topology.dataDir, { recursive: true });
  const file = statePath(topology);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}
