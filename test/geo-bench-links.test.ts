/**
 * The geography benchmark's plumbing over real sockets: a customer's request to the centralized
 * alternative goes through their city's link of the WAN plan, and the counter deltas the bench
 * reads around it give one round trip at that link's RTT. The link runs in this process (the
 * proxy's own code), in front of a stand-in HTTP server at the baseline's port; no cluster.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTripDelta, splitRoundTrips, wanMillis } from '../bench/geo.ts';
import { buildTopology, customerAccess } from '../lib/topology.ts';
import { linkReport, startLinks, type RunningLink } from '../lib/wan/proxy.ts';

// ports of their own, inside this run's block (TERANGA_TEST_PORT / TERANGA_TEST_PG_PORT), past the e2e cluster's
const topology = buildTopology({
  servicePort: Number(process.env.TERANGA_PORT ?? 24000) + 200,
  pgPort: Number(process.env.TERANGA_PG_PORT ?? 25400) + 200,
  wan: { rttOverride: 'dakar:thies=1,dakar:saint-louis=2,thies:saint-louis=1.5' },
});

describe('geography benchmark: a customer’s link to the centralized alternative', () => {
  let server: http.Server;
  let links: RunningLink[];
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
    await new Promise<void>((resolve) => server.listen(topology.baseline.servicePort, topology.baseline.pg.host, resolve));
    links = await startLinks(topology.wan!.outside.filter((l) => l.target === 'baseline' && l.kind === 'http'));
  });

  afterAll(async () => {
    await Promise.all(links.map((l) => l.close()));
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts one round trip per request on the city’s link, priced at its RTT', async () => {
    const access = customerAccess(topology, 'Saint-Louis');
    expect(access.baseline.link).toBe('saint-louis->baseline');
    const counters = () => links.map(linkReport);
    const deltas: { total: number; access: number; ms: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const before = counters();
      const response = await fetch(access.baseline.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' });
      expect(await response.json()).toEqual({ data: { ok: true } });
      const after = counters();
      const delta = roundTripDelta(before, after);
      deltas.push({ ...splitRoundTrips(delta, access.baseline.link), ms: wanMillis(delta, after) });
    }
    expect(served).toBe(3);
    expect(deltas).toEqual(Array.from({ length: 3 }, () => ({ total: 1, access: 1, ms: 2 })));
    // the other cities' links carried nothing
    expect(counters().filter((l) => l.id !== 'saint-louis->baseline').map((l) => l.bytesUp + l.bytesDown)).toEqual([0, 0]);
  });
});
