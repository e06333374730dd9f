/**
 * The simulated WAN on the test cluster booted with it: run with
 * `TERANGA_WAN=1 TERANGA_WAN_RTT_MS=2 TERANGA_WAN_PORT=<free block> npx vitest run --project e2e test/wan.e2e.ts`
 * (`npm run test:wan`). Without TERANGA_WAN the file has nothing to check and skips.
 * Counts are read from the proxy's link counters, never from times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFrom, serviceByName, type NodeService } from '../lib/topology.ts';
import { recoverySettings, topology, type RecoverySettings } from './support/cluster.ts';
import { describeCrossings, wanCrossings } from './support/wan-counters.ts';

const CATALOG = '{ product(id: "101") { id name price } }';

async function ask(url: string, query: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return response.json();
}

/** A customer's request from `site`'s city to a gateway, through the WAN link when the gateway is elsewhere. */
function urlFrom(site: 'dakar' | 'thies' | 'saint-louis', service: NodeService): string {
  const { host, port } = endpointFrom(topology, site, service);
  return service.url.replace(`//${service.host}:${service.port}`, `//${host}:${port}`);
}

describe.skipIf(!topology.wan)('simulated WAN', () => {
  const gateway = serviceByName(topology, 'gateway');
  // the coordinator's recovery loop calls every site in the background: paused while counting
  let saved: RecoverySettings;
  beforeAll(async () => {
    saved = await recoverySettings();
    await recoverySettings({ intervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await recoverySettings({ intervalMs: saved.intervalMs });
  });

  it('counts a call from Thiès to the Dakar gateway as one http round trip on that link, and nothing else', async () => {
    await ask(urlFrom('thies', gateway), CATALOG); // warm the gateway's own connections
    const { crossings } = await wanCrossings(topology, () => ask(urlFrom('thies', gateway), CATALOG));
    expect(crossings.links['thies->gateway']?.roundTrips, describeCrossings(crossings)).toBe(1);
    // the gateway and the products subgraph are both in Dakar: the rest of the path is local
    expect(crossings.roundTrips, describeCrossings(crossings)).toBe(1);
    expect(crossings.byKind.sql.roundTrips).toBe(0);
  });

  it('answers the same through the WAN link as directly', async () => {
    const direct = await ask(gateway.url, CATALOG);
    const viaWan = await ask(urlFrom('saint-louis', gateway), CATALOG);
    expect(viaWan).toEqual(direct);
    expect(direct).toMatchObject({ data: { product: { id: '101' } } });
  });

  it('counts nothing for a Dakar customer’s catalog read at the Dakar gateway', async () => {
    await ask(gateway.url, CATALOG);
    const { crossings } = await wanCrossings(topology, () => ask(gateway.url, CATALOG));
    expect(crossings.roundTrips, describeCrossings(crossings)).toBe(0);
  });

  // the budget for a customer at their own site's gateway (a serving tier per site): 0 crossings
  const thiesGateway = topology.services.find((s) => s.kind === 'gateway' && s.location === 'thies');
  it.skipIf(!thiesGateway)('a Thiès customer’s catalog read at the Thiès gateway crosses the WAN 0 times', async () => {
    await ask(urlFrom('thies', thiesGateway!), CATALOG);
    const { crossings } = await wanCrossings(topology, () => ask(urlFrom('thies', thiesGateway!), CATALOG));
    expect(crossings.roundTrips, describeCrossings(crossings)).toBe(0);
  });
});
