/**
 * The geography benchmark's plumbing over real sockets: a customer's request to the centralized
 * alternative goes through their city's link of the WAN plan, and the counter deltas the bench
 * reads around it give one round trip at that link's RTT. The link runs in this process (the
 * proxy's own code), in front of a stand-in HTTP server at the baseline's port; no cluster.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTripDelta, splitRoundTrips, wanMillis } from '../bench/geo.ts';
import { buildTopology, type ProxiedLink } from '../lib/topology.ts';
import { linkReport, startLinks, type RunningLink } from '../lib/wan/proxy.ts';

const topology = buildTopology({ wan: { rttOverride: 'dakar:thies=1,dakar:saint-louis=2,thies:saint-louis=1.5' } });

describe('geography benchmark: a customer’s link to the centralized alternative', () => {
  let server: http.Server;
  let links: RunningLink[] = [];
  let served = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        served++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":{"ok":true}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = (server.address() as { port: number }).port;
    // the plan's links to the baseline, on a free port each, towards the stand-in
    const planned = topology.wan!.outside.filter((l) => l.target === 'baseline' && l.kind === 'http');
    links = await startLinks(planned.map((l): ProxiedLink => ({ ...l, port: 0, targetHost: '127.0.0.1', targetPort: target })));
  });

  afterAll(async () => {
    await Promise.all(links.map((l) => l.close()));
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('counts one round trip per request on the city’s link, priced at its RTT', async () => {
    const link = links.find((l) => l.link.id === 'saint-louis->baseline')!;
    expect(link.link.rttMs).toBe(2);
    const url = `http://127.0.0.1:${link.port}/graphql`;
    const counters = () => links.map(linkReport);
    const deltas: { total: number; access: number; ms: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const before = counters();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' });
      expect(await response.json()).toEqual({ data: { ok: true } });
      const after = counters();
      const delta = roundTripDelta(before, after);
      deltas.push({ ...splitRoundTrips(delta, link.link.id), ms: wanMillis(delta, after) });
    }
    expect(served).toBe(3);
    expect(deltas).toEqual(Array.from({ length: 3 }, () => ({ total: 1, access: 1, ms: 2 })));
    // the other cities' links carried nothing
    expect(counters().filter((l) => l.id !== 'saint-louis->baseline').map((l) => l.bytesUp + l.bytesDown)).toEqual([0, 0]);
  });
});
