/**
 * Reading the WAN proxy's counters over HTTP (the `wan` service's control API, lib/wan/main.ts):
 * `teranga wan`, the tests (test/support/wan-counters.ts) and the geography benchmark use it.
 */
import type { Topology, WanKind } from '../topology.ts';
import type { LinkReport } from './proxy.ts';

export interface WanCounters {
  readonly rtt: Readonly<Record<string, number>>;
  readonly links: readonly LinkReport[];
}

function controlUrl(topology: Topology): string {
  if (!topology.wan) throw new Error('the simulated WAN is off: start the cluster with `teranga up --wan` (TERANGA_WAN=1)');
  return topology.wan.controlUrl;
}

export async function readWanCounters(topology: Topology): Promise<WanCounters> {
  const response = await fetch(`${controlUrl(topology)}/counters`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`WAN proxy: HTTP ${response.status}`);
  return (await response.json()) as WanCounters;
}

export async function resetWanCounters(topology: Topology): Promise<void> {
  const response = await fetch(`${controlUrl(topology)}/counters/reset`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`WAN proxy: HTTP ${response.status}`);
}

/** Round trips and bytes summed by kind over the given links (all by default). */
export function totalsByKind(links: readonly LinkReport[]): Record<WanKind, { roundTrips: number; bytes: number; connections: number }> {
  const out = { http: { roundTrips: 0, bytes: 0, connections: 0 }, sql: { roundTrips: 0, bytes: 0, connections: 0 }, replication: { roundTrips: 0, bytes: 0, connections: 0 } };
  for (const l of links) {
    out[l.kind].roundTrips += l.roundTrips;
    out[l.kind].bytes += l.bytesUp + l.bytesDown;
    out[l.kind].connections += l.connections;
  }
  return out;
}

export function formatWanCounters(counters: WanCounters): string {
  const lines = ['RTT (ms): ' + Object.entries(counters.rtt).filter(([k]) => k.split(':')[0] !== k.split(':')[1]).map(([k, v]) => `${k}=${v}`).join(', '), ''];
  lines.push(`${'link'.padEnd(38)} ${'kind'.padEnd(11)} ${'rtt ms'.padStart(6)} ${'conns'.padStart(6)} ${'round trips'.padStart(11)} ${'bytes up'.padStart(10)} ${'bytes down'.padStart(10)}`);
  for (const l of counters.links) {
    lines.push(`${l.id.padEnd(38)} ${l.kind.padEnd(11)} ${String(l.rttMs).padStart(6)} ${String(l.connections).padStart(6)} ${String(l.roundTrips).padStart(11)} ${String(l.bytesUp).padStart(10)} ${String(l.bytesDown).padStart(10)}`);
  }
  const totals = totalsByKind(counters.links);
  lines.push('', 'by kind: ' + (Object.keys(totals) as WanKind[]).map((k) => `${k} ${totals[k].roundTrips} round trips, ${totals[k].bytes} bytes`).join('; '));
  return lines.join('\n');
}
