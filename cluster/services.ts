/**
 * Environment and health checks of the Node services the launcher starts.
 */
import { serviceByName, type NodeService, type Topology } from '../lib/topology.ts';
import { serviceSecrets } from './secrets.ts';

/**
 * What a process the launcher starts needs to rebuild the launcher's topology: taken from the
 * topology, not from the launcher's own environment, since one process may launch two clusters.
 */
export function topologyEnv(topology: Topology): Record<string, string> {
  return {
    TERANGA_HOME: topology.dataDir,
    TERANGA_NETWORK: topology.network,
    TERANGA_PORT: String(serviceByName(topology, 'gateway').port),
    TERANGA_PG_PORT: String(Math.min(...topology.postgres.map((s) => s.port))),
  };
}

/** What a service needs to rebuild the same topology and know its own place in it. */
export function serviceEnv(topology: Topology, service: NodeService): Record<string, string> {
  const env: Record<string, string> = {
    TERANGA_SERVICE: service.name,
    ...topologyEnv(topology),
    APOLLO_TELEMETRY_DISABLED: 'true',
    ...serviceSecrets(topology),
  };
  if (service.site) env.SITE = service.site;
  return env;
}

export function healthUrl(service: NodeService): string {
  return `http://${service.host}:${service.port}/health`;
}

// generous: five services load Apollo, pino, prom-client and jose at once, and a busy 2-core machine
// (a test run beside another) has taken more than 30 s for that; a dead process is noticed at once
export async function waitForHealth(service: NodeService, alive: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the process exited');
    try {
      const response = await fetch(healthUrl(service), { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no healthy answer from ${healthUrl(service)} within ${timeoutMs / 1000}s (${lastError})`);
}

/** Module of the supervisor process (cluster/supervisor.ts), which restarts crashed services. */
export const SUPERVISOR_ENTRY = 'cluster/supervisor-main.ts';
