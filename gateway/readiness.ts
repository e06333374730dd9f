/**
 * Readiness of the gateway: every subgraph process answers. A process of the topology answers its
 * plain /health route (the sharded subgraph counts once per site process, since each holds
 * different rows); a subgraph of another supergraph, which has no such route, answers a
 * `{ __typename }` query at its URL.
 */
import type { Topology } from '../lib/topology.ts';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly services: readonly { readonly service: string; readonly ok: boolean; readonly reason?: string }[];
}

/** What to probe: a topology process by its /health route, or a foreign subgraph by a GraphQL query. */
export type ReadinessTarget = { readonly service: string; readonly health: string } | { readonly service: string; readonly graphql: string };

/** The topology's subgraph processes, and each subgraph at a URL the topology does not serve. */
export function readinessTargets(topology: Topology, subgraphUrls: ReadonlyMap<string, string> = new Map()): ReadinessTarget[] {
  // of the order coordinators (one per site), only the one this gateway uses when its URL is given
  const given = new Set(subgraphUrls.values());
  const coordinators = topology.services.filter((s) => s.subgraph === 'orders');
  const usesOne = coordinators.some((s) => given.has(s.url));
  const processes = topology.services.filter((s) => s.kind === 'subgraph' && (s.subgraph !== 'orders' || !usesOne || given.has(s.url)));
  const own = new Set(processes.map((s) => s.url));
  return [
    ...processes.map((s) => ({ service: s.name, health: `http://${s.host}:${s.port}/health` })),
    ...[...subgraphUrls].filter(([, url]) => !own.has(url)).map(([name, url]) => ({ service: name, graphql: url })),
  ];
}

async function probe(target: ReadinessTarget, timeoutMs: number) {
  try {
    const response =
      'health' in target
        ? await fetch(target.health, { signal: AbortSignal.timeout(timeoutMs) })
        : await fetch(target.graphql, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"query":"{ __typename }"}',
            signal: AbortSignal.timeout(timeoutMs),
          });
    await response.body?.cancel();
    return response.ok ? { service: target.service, ok: true } : { service: target.service, ok: false, reason: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { service: target.service, ok: false, reason: cause?.code ?? (error as Error).message };
  }
}

export async function checkSubgraphs(topology: Topology, timeoutMs = 2_000, targets = readinessTargets(topology)): Promise<ReadinessReport> {
  const services = await Promise.all(targets.map((target) => probe(target, timeoutMs)));
  return { ready: services.every((s) => s.ok), services };
}
