/**
 * One bench run measures both modes of the cluster: the sections that measure the platform itself
 * with every process talking directly, and the geography sections under the simulated WAN
 * (`teranga up --wan`). The bench starts with the mode the cluster is in, restarts it once into
 * the other mode when some asked-for section needs it, and restarts it back at the end: the
 * cluster is left as it was found. A mode switch is `teranga down` then `teranga up [--wan]` on
 * the same data, with the WAN mode remembered in the cluster state as the CLI does, so that later
 * commands (`status`, `wan`, `down`) see the mode it is in.
 */
import { down, up, type Progress } from '../cluster/cluster.ts';
import { readState, updateState } from '../cluster/state.ts';
import { ensureSupervisor } from '../cluster/supervisor.ts';
import { wanModeFromEnv, type WanMode } from '../cluster/wan-mode.ts';
import { topologyFromEnv, type Topology } from '../lib/topology.ts';

export interface BenchPhase<S extends string> {
  /** Whether the cluster runs under the simulated WAN for these sections. */
  readonly wan: boolean;
  readonly sections: readonly S[];
}

/**
 * The run's phases in order: first those of the mode the cluster is in (no restart before the
 * first measurement), then those of the other mode. Empty phases are left out, so a run of WAN
 * sections only on a `--wan` cluster (or of the others on a plain one) restarts nothing.
 */
export function benchPhases<S extends string>(sections: readonly S[], wanSections: readonly S[], clusterOnWan: boolean): BenchPhase<S>[] {
  const direct: BenchPhase<S> = { wan: false, sections: sections.filter((s) => !wanSections.includes(s)) };
  const wan: BenchPhase<S> = { wan: true, sections: sections.filter((s) => wanSections.includes(s)) };
  return (clusterOnWan ? [wan, direct] : [direct, wan]).filter((p) => p.sections.length > 0);
}

/** The environment of one mode: the WAN's variables set from the mode, or removed for none. */
export function envForMode(env: NodeJS.ProcessEnv, mode: WanMode | null): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out.TERANGA_WAN;
  delete out.TERANGA_WAN_RTT_MS;
  delete out.TERANGA_WAN_PORT;
  if (!mode) return out;
  // settings of the shell win, as for a plain `teranga up` on a cluster started with --wan
  return {
    ...out,
    TERANGA_WAN: '1',
    ...(env.TERANGA_WAN_RTT_MS ?? mode.rttOverride ? { TERANGA_WAN_RTT_MS: env.TERANGA_WAN_RTT_MS ?? mode.rttOverride } : {}),
    ...(env.TERANGA_WAN_PORT ?? mode.port ? { TERANGA_WAN_PORT: env.TERANGA_WAN_PORT ?? mode.port } : {}),
  };
}

/** The cluster's modes as this run sees them: the one it was found in, and the WAN mode it uses. */
export interface ClusterModes {
  /** The mode the cluster was started with (from its state), null: no WAN. */
  readonly found: WanMode | null;
  /** The WAN mode of the WAN phase: the remembered one, else the shell's RTTs and port. */
  readonly wan: WanMode;
  readonly direct: Topology;
  readonly wanTopology: Topology;
}

export function clusterModes(env: NodeJS.ProcessEnv): ClusterModes {
  const direct = topologyFromEnv(envForMode(env, null));
  const found = readState(direct)?.wan ?? null;
  const wan = found ?? wanModeFromEnv({ ...env, TERANGA_WAN: '1' })!;
  return { found, wan, direct, wanTopology: topologyFromEnv(envForMode(env, wan)) };
}

/**
 * Restarts the running cluster in `to`'s mode: everything stopped (`down`), the process's own
 * environment switched (the services and the supervisor that `up` starts inherit it), `up` again,
 * and the mode remembered in the state. Returns the seconds it took.
 */
export async function switchCluster(modes: ClusterModes, to: 'wan' | 'direct', progress: Progress): Promise<number> {
  const t0 = Date.now();
  const target = to === 'wan' ? modes.wanTopology : modes.direct;
  const running = to === 'wan' ? modes.direct : modes.wanTopology;
  progress(`cluster: stopping it to restart it ${to === 'wan' ? 'under the simulated WAN' : 'without the WAN'}`);
  await down(running, (line) => progress(`cluster: ${line}`));
  const env = envForMode(process.env, to === 'wan' ? modes.wan : null);
  for (const name of ['TERANGA_WAN', 'TERANGA_WAN_RTT_MS', 'TERANGA_WAN_PORT']) {
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  await up(target, { progress: (line) => progress(`cluster: ${line}`) });
  updateState(target, (state) => {
    if (to === 'wan') state.wan = modes.wan;
    else delete state.wan;
  });
  const supervisor = ensureSupervisor(target);
  progress(`cluster: supervisor pid ${supervisor.pid}; ${to === 'wan' ? 'under the simulated WAN' : 'without the WAN'} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return (Date.now() - t0) / 1000;
}
