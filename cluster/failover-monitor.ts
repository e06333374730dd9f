/**
 * `teranga monitor`: automatic failover for the local cluster. It probes every database's current
 * primary at a fixed interval; when one has failed `misses` probes in a row while its standby
 * answers as a standby, it runs the same failover as `teranga failover`. Several misses, not one,
 * so that a slow answer under load is not taken for a crash: detection costs about
 * `interval × misses`, the price of not promoting a standby beside a live primary.
 */
import { DATABASE_ROLES, type DatabaseRole, type Topology } from '../lib/topology.ts';
import type { Progress } from './cluster.ts';
import { failover, serverRole } from './failover.ts';
import { currentPrimary, isRebuildPending } from './running-topology.ts';
import { readState } from './state.ts';

export interface MonitorOptions {
  readonly intervalMs: number;
  readonly misses: number;
  readonly progress: Progress;
  readonly signal: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });

export async function monitorPrimaries(topology: Topology, options: MonitorOptions): Promise<void> {
  const missed = new Map<DatabaseRole, number>();
  const check = async (database: DatabaseRole) => {
    const state = readState(topology);
    const primary = currentPrimary(topology, state, database);
    if ((await serverRole(topology, primary)) === 'primary') {
      missed.set(database, 0);
      return;
    }
    const count = (missed.get(database) ?? 0) + 1;
    missed.set(database, count);
    if (count < options.misses) return;
    const standby = topology.postgres.find((s) => s.database === database && s.name !== primary.name);
    if (!standby || isRebuildPending(state, standby.name) || (await serverRole(topology, standby)) !== 'standby') {
      if (count === options.misses) options.progress(`${primary.name} does not answer, and there is no standby to promote`);
      return;
    }
    options.progress(`${primary.name} missed ${count} probes: failing ${database} over to ${standby.name}`);
    try {
      await failover(topology, database, options.progress);
      missed.set(database, 0);
    } catch (error) {
      options.progress(`failover of ${database} failed: ${(error as Error).message}`);
    }
  };
  options.progress(`watching ${DATABASE_ROLES.join(', ')} every ${options.intervalMs} ms (failover after ${options.misses} missed probes)`);
  while (!options.signal.aborted) {
    await Promise.all(DATABASE_ROLES.map(check));
    await sleep(options.intervalMs, options.signal);
  }
}
