/**
 * `teranga failover <database>`: the database's standby becomes its primary.
 *
 * 1. Fence the old primary: stop it if it still runs (a fast shutdown first sends the standby all
 *    its WAL, so a planned switchover loses nothing even with asynchronous replication), so two
 *    primaries never take writes at once.
 * 2. Promote the standby (`pg_promote()`). Prepared transactions replicate like any WAL: the new
 *    primary lists them in pg_prepared_xacts, and the coordinator's recovery resolves them there.
 * 3. Record the new primary in the cluster state, and the old one as awaiting a rebuild: it must
 *    not start again as it is, since it may hold WAL the new primary never received.
 * 4. Point the coordinator's foreign servers at the new primary first.
 *
 * Nothing else is told: the subgraphs' pools find the new primary themselves (lib/db/following-pool.ts)
 * and the coordinator's recovery reaches sites through the region subgraphs.
 */
import { ensureForeignServers } from '../lib/foreign-servers.ts';
import { DATABASE_ROLES, type DatabaseRole, type PostgresServer, type Topology } from '../lib/topology.ts';
import { launcherBinaries, serverDataDir, withClient, type Progress } from './cluster.ts';
import { serverIdentity } from './os-user.ts';
import { postmasterPid, stopServer, writeServerConfig } from './postgres-server.ts';
import { currentPrimary, isRebuildPending, runningTopology, serversInRoleOrder } from './running-topology.ts';
import { ensureLogicalCopies } from './logical-copies.ts';
import { readState, updateState, type ClusterState } from './state.ts';

export interface FailoverReport {
  readonly database: DatabaseRole;
  readonly promoted: string;
  readonly demoted: string;
  /** Milliseconds spent stopping the old primary (0 when it was already down). */
  readonly fenceMs: number;
  readonly promoteMs: number;
  readonly totalMs: number;
}

/** `dakar` or `dakar-standby` → `dakar`. */
export function databaseNamed(topology: Topology, name: string): DatabaseRole {
  if ((DATABASE_ROLES as readonly string[]).includes(name)) return name as DatabaseRole;
  const server = topology.postgres.find((s) => s.name === name);
  if (server) return server.database;
  throw new Error(`Unknown database or server "${name}"; databases: ${DATABASE_ROLES.join(', ')}`);
}

/** What a server is doing now: null when it does not answer. */
export async function serverRole(topology: Topology, server: PostgresServer): Promise<'primary' | 'standby' | null> {
  try {
    return await withClient(topology, server, async (c) => {
      const { rows } = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      return rows[0]!.standby ? 'standby' : 'primary';
    });
  } catch {
    return null;
  }
}

export function requireState(topology: Topology): ClusterState {
  const state = readState(topology);
  if (!state) throw new Error(`No local cluster in ${topology.dataDir}: run \`teranga up\` first`);
  return state;
}

/** Rewrites a running server's configuration for its current role and reloads it if it changed. */
export async function reconfigure(topology: Topology, state: ClusterState, name: string): Promise<void> {
  const running = runningTopology(topology, state);
  const server = running.postgres.find((s) => s.name === name)!;
  if (writeServerConfig(running, server, serverDataDir(state.pgRoot, server), { synchronous: state.synchronous })) {
    await withClient(topology, server, (c) => c.query('SELECT pg_reload_conf()'));
  }
}

/** Points the coordinator's foreign servers at each database's current primary first. */
export async function repointForeignServers(topology: Topology, state: ClusterState): Promise<void> {
  const coordinator = currentPrimary(topology, state, 'coordinator');
  await withClient(topology, coordinator, (c) => ensureForeignServers(c, topology, (role) => serversInRoleOrder(topology, state, role)));
}

/** The local copies' re-subscriptions after failovers, one after the other (see `failover`). */
let resubscriptions: Promise<void> = Promise.resolve();

/** Resolves once the local copies follow every promoted publisher (a CLI awaits it before it exits). */
export function copiesResubscribed(): Promise<void> {
  return resubscriptions;
}

export async function failover(topology: Topology, database: DatabaseRole, progress: Progress = () => {}): Promise<FailoverReport> {
  const t0 = Date.now();
  const state = requireState(topology);
  const oldPrimary = currentPrimary(topology, state, database);
  const candidate = topology.postgres.find((s) => s.database === database && s.name !== oldPrimary.name);
  if (!candidate) throw new Error(`Database ${database} has no second server to fail over to`);
  if (isRebuildPending(state, candidate.name)) {
    throw new Error(`${candidate.name} awaits a rebuild (\`teranga rebuild-standby ${database}\`): there is no standby to promote`);
  }
  const role = await serverRole(topology, candidate);
  if (role === null) throw new Error(`${candidate.name} does not answer: there is no standby to promote`);

  const oldDir = serverDataDir(state.pgRoot, oldPrimary);
  if (postmasterPid(oldDir)) {
    progress(`${oldPrimary.name}: stopping the old primary`);
    const bins = launcherBinaries(state);
    const who = serverIdentity();
    await stopServer(bins, who, oldDir, 'fast').catch(() => stopServer(bins, who, oldDir, 'immediate'));
  }
  const fenced = Date.now();

  if (role === 'standby') {
    const { rows } = await withClient(topology, candidate, (c) => c.query<{ promoted: boolean }>('SELECT pg_promote(true, 60) AS promoted'));
    if (!rows[0]!.promoted) throw new Error(`${candidate.name} did not finish its promotion within 60 s; see its log`);
  }
  const promoted = Date.now();
  progress(`${candidate.name}: promoted to primary of ${database} in ${promoted - fenced} ms`);

  const next = updateState(topology, (s) => {
    const primaries = { ...s.primaries };
    if (candidate.role === 'primary') delete primaries[database];
    else primaries[database] = candidate.name;
    s.primaries = primaries;
    s.rebuildPending = [...(s.rebuildPending ?? []).filter((n) => n !== oldPrimary.name && n !== candidate.name), oldPrimary.name];
  });
  await reconfigure(topology, next, candidate.name);
  try {
    await repointForeignServers(topology, next);
  } catch (error) {
    // the foreign servers also list the standby, so they find the new primary regardless
    progress(`coordinator foreign servers not updated: ${(error as Error).message}`);
  }
  // Not awaited: a new logical slot on the promoted publisher waits for the transactions running
  // there, prepared ones included, which only recovery ends; the failover is over before that.
  resubscriptions = resubscriptions.then(() =>
    ensureLogicalCopies(topology, next, progress).catch((error: Error) => {
      // the copies' age in the API shows they stopped; the next `up` or failover tries again
      progress(`logical copies not re-subscribed: ${error.message}`);
    }),
  );
  progress(`${oldPrimary.name}: awaits \`teranga rebuild-standby ${database}\` before it runs again`);
  return { database, promoted: candidate.name, demoted: oldPrimary.name, fenceMs: fenced - t0, promoteMs: promoted - fenced, totalMs: Date.now() - t0 };
}
