/**
 * Readiness of the gateway: every subgraph process answers its plain /health route. The regions
 * subgraph counts once per site process, since each holds different rows.
 */
import type { Topology } from '../lib/topology.ts';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly services: readonly { readonly service: string; readonly ok: boolean; readonly reason?: string }[];
}

export async function checkSubgraphs(topology: Topology, timeoutMs = 2_000): Promise<ReadinessReport> {
  const services = await Promise.all(
    topology.services
      .filter((s) => s.kind === 'subgraph')
      .map(async (s) => {
        const url = `http://${s.host}:${s.port}/health`;
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
          await response.body?.cancel();
          return response.ok ? { service: s.name, ok: true } : { service: s.name, ok: false, reason: `HTTP ${response.status}` };
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          return { service: s.name, ok: false, reason: cause?.code ?? (error as Error).message };
        }
      }),
  );
  return { ready: services.every((s) => s.ok), services };
}
