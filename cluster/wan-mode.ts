/**
 * The simulated WAN a cluster was started with (`teranga up --wan`), kept in its state file so that
 * a later plain `teranga up`, and every other command (`status`, `wan`, `failover`, `down`), sees
 * the same topology instead of silently booting or addressing the cluster without it. An explicit
 * `TERANGA_WAN` (`1` or `0`) always wins and replaces what was remembered.
 */
import type { ClusterState } from './state.ts';

export interface WanMode {
  /** TERANGA_WAN_RTT_MS as given at `up --wan`. */
  readonly rttOverride?: string;
  /** TERANGA_WAN_PORT as given at `up --wan`. */
  readonly port?: string;
}

/** The mode this environment asks for: a WanMode, null for "no WAN", undefined when it says nothing. */
export function wanModeFromEnv(env: NodeJS.ProcessEnv): WanMode | null | undefined {
  if (env.TERANGA_WAN === undefined || env.TERANGA_WAN === '') return undefined;
  if (env.TERANGA_WAN !== '1') return null;
  return {
    ...(env.TERANGA_WAN_RTT_MS ? { rttOverride: env.TERANGA_WAN_RTT_MS } : {}),
    ...(env.TERANGA_WAN_PORT ? { port: env.TERANGA_WAN_PORT } : {}),
  };
}

/**
 * The variables to add to an environment that says nothing of the WAN, from the cluster's
 * remembered mode; nothing when the environment decides, or the cluster runs without the WAN.
 * Settings given in the environment win over remembered ones.
 * @example Object.assign(process.env, rememberedWanEnv(process.env, readState(topology)));
 */
export function rememberedWanEnv(env: NodeJS.ProcessEnv, state: Pick<ClusterState, 'wan'> | null): Record<string, string> {
  if (wanModeFromEnv(env) !== undefined || !state?.wan) return {};
  return {
    TERANGA_WAN: '1',
    ...(state.wan.rttOverride && !env.TERANGA_WAN_RTT_MS ? { TERANGA_WAN_RTT_MS: state.wan.rttOverride } : {}),
    ...(state.wan.port && !env.TERANGA_WAN_PORT ? { TERANGA_WAN_PORT: state.wan.port } : {}),
  };
}
