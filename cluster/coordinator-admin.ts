/**
 * The operator's side of a coordinator's `/internal/*` endpoints, with the internal secret of the
 * cluster's home: what the benchmarks, the simulator and the tests read or change on a running
 * cluster (recovery settings), through the same HTTP the services use.
 */
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { serviceByName, type CoordinatorName, type Topology } from '../lib/topology.ts';
import { localSecrets } from './secrets.ts';

/** Headers of a trusted internal call (the 2PC participant API, a coordinator's operator endpoints). */
export function internalHeaders(topology: Topology): Record<string, string> {
  return { [INTERNAL_SECRET_HEADER]: localSecrets(topology).TERANGA_INTERNAL_SECRET };
}

/** How a coordinator's recovery treats prepared shares: presumed dead after `inDoubtTimeoutMs`, looked at every `intervalMs`. */
export interface RecoverySettings {
  readonly inDoubtTimeoutMs: number;
  readonly intervalMs: number;
}

/** A coordinator's recovery settings as it runs now; with `change`, sets them first. */
export async function recoverySettings(topology: Topology, coordinator: CoordinatorName = 'orders', change?: Partial<RecoverySettings>): Promise<RecoverySettings> {
  const url = serviceByName(topology, coordinator).url.replace(/\/graphql$/, '/internal/recovery');
  const response = await fetch(url, {
    method: change ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...internalHeaders(topology) },
    ...(change ? { body: JSON.stringify(change) } : {}),
  });
  if (!response.ok) throw new Error(`${coordinator} ${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as RecoverySettings;
}
