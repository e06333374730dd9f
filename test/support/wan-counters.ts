/**
 * Round trips across the simulated WAN, read from the proxy's link counters (never from times):
 * `wanCrossings(topology, fn)` zeroes the counters, runs `fn`, and returns what crossed, by kind
 * and by link. For asserting the round-trip budget of a request path (0 for a local request,
 * 1 for an order drawing on other warehouses). Background traffic counts too: pause the
 * coordinator's recovery loop while counting (recoverySettings({ intervalMs }) in test/support/cluster.ts).
 */
import type { Topology, WanKind } from '../../lib/topology.ts';
import { readWanCounters, resetWanCounters, totalsByKind } from '../../lib/wan/counters.ts';
import type { LinkReport } from '../../lib/wan/proxy.ts';

export interface Crossings {
  /** Round trips summed over the request-path kinds (http + sql), replication excluded. */
  readonly roundTrips: number;
  readonly byKind: Record<WanKind, { roundTrips: number; bytes: number; connections: number }>;
  /** The links that carried anything, by id. */
  readonly links: Readonly<Record<string, Pick<LinkReport, 'roundTrips' | 'bytesUp' | 'bytesDown' | 'connections'>>>;
}

export async function wanCrossings<T>(topology: Topology, fn: () => Promise<T>, options: { readonly from?: string } = {}): Promise<{ result: T; crossings: Crossings }> {
  await resetWanCounters(topology);
  const result = await fn();
  const { links } = await readWanCounters(topology);
  const used = links.filter((l) => l.bytesUp + l.bytesDown > 0 && (options.from === undefined || l.from === options.from));
  const byKind = totalsByKind(used);
  return {
    result,
    crossings: {
      roundTrips: byKind.http.roundTrips + byKind.sql.roundTrips,
      byKind,
      links: Object.fromEntries(used.map((l) => [l.id, { roundTrips: l.roundTrips, bytesUp: l.bytesUp, bytesDown: l.bytesDown, connections: l.connections }])),
    },
  };
}

/** A readable line for a failed assertion: which links carried what. */
export function describeCrossings(c: Crossings): string {
  const lines = Object.entries(c.links).map(([id, l]) => `${id}: ${l.roundTrips} round trips, ${l.bytesUp}↑ ${l.bytesDown}↓ bytes, ${l.connections} connections`);
  return lines.length ? lines.join('\n') : 'nothing crossed the WAN';
}
