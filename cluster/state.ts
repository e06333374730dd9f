/**
 * What the running local cluster looks like beyond the static topology: where the PostgreSQL data
 * lives, which pid runs each service, and which server currently acts as each database's primary
 * (a failover changes it). Kept as JSON in the data directory so every command sees it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseRole, Topology } from '../lib/topology.ts';
import type { ProcessRecord } from './process-identity.ts';
import type { WanMode } from './wan-mode.ts';

export interface ServiceRecord extends ProcessRecord {
  startedAt: string;
  /** Being stopped on purpose: the supervisor leaves it be. */
  stopping?: boolean;
  /** The supervisor saw it exit and is starting it again. */
  restarting?: { since: string; attempt: number; delayMs: number; exitedPid: number };
  /** Times the supervisor has restarted it. */
  restarts?: number;
}

export interface ClusterState {
  /** Root of the PostgreSQL data directories (may differ from dataDir when run as root). */
  pgRoot: string;
  binDir: string;
  /** database role → name of the server acting as its primary, when it differs from the topology. */
  primaries: Partial<Record<DatabaseRole, string>>;
  services: Record<string, ServiceRecord>;
  /** The supervisor process that restarts crashed services (`teranga up` starts it; cluster/supervisor.ts). */
  supervisor?: ProcessRecord;
  /** When `teranga down` last stopped the cluster: a foreground launcher attached to it leaves then. */
  stoppedAt?: string;
  /** Replication mode the servers were configured with. */
  synchronous: boolean;
  /**
   * Servers that lost their role in a failover: their data may have diverged from the new
   * primary's, so they must not start again until `teranga rebuild-standby` has re-cloned them.
   */
  rebuildPending?: string[];
  /** The simulated WAN `teranga up --wan` started it with (cluster/wan-mode.ts); absent: none. */
  wan?: WanMode;
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

/**
 * Reads the state afresh, changes it and writes it back, so a change made meanwhile by another
 * command (a service's pid) is kept.
 */
export function updateState(topology: Topology, change: (state: ClusterState) => void): ClusterState {
  const state = readState(topology);
  if (!state) throw new Error(`No local cluster in ${topology.dataDir}: run \`teranga up\` first`);
  change(state);
  writeState(topology, state);
  return state;
}
