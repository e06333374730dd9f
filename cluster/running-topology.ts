/**
 * The topology as the cluster runs it now. lib/topology.ts says which server was set up as each
 * database's primary; a failover promotes the standby, and the cluster state records it. Every
 * launcher step that depends on roles (configuration, slots, start and stop order, status) reads
 * the running topology, where the promoted server is the primary and the other server of the pair
 * is its standby — or nobody's, while it awaits a rebuild.
 */
import { primaryOf, type DatabaseRole, type PostgresServer, type Topology } from '../lib/topology.ts';
import type { ClusterState } from './state.ts';

/** The server currently acting as a database's primary (after a failover, its former standby). */
export function currentPrimary(topology: Topology, state: ClusterState | null, database: DatabaseRole): PostgresServer {
  const name = state?.primaries[database];
  return (name && topology.postgres.find((s) => s.name === name)) || primaryOf(topology, database);
}

/** A database's servers with the current primary first: the order clients should try them in. */
export function serversInRoleOrder(topology: Topology, state: ClusterState | null, database: DatabaseRole): PostgresServer[] {
  const primary = currentPrimary(topology, state, database);
  return [primary, ...topology.postgres.filter((s) => s.database === database && s.name !== primary.name)];
}

export function isRebuildPending(state: ClusterState | null, name: string): boolean {
  return state?.rebuildPending?.includes(name) ?? false;
}

export function runningTopology(topology: Topology, state: ClusterState | null): Topology {
  const postgres = topology.postgres.map((server): PostgresServer => {
    const primary = currentPrimary(topology, state, server.database);
    if (server.name === primary.name) return { ...server, role: 'primary', upstream: null };
    // a server awaiting its rebuild streams from nobody, so no primary waits for it
    return { ...server, role: 'standby', upstream: isRebuildPending(state, server.name) ? null : primary.name };
  });
  return Object.freeze({ ...topology, postgres: Object.freeze(postgres) });
}
