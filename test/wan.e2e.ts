/**
 * The simulated WAN on the test cluster booted with it: run with
 * `TERANGA_WAN=1 TERANGA_WAN_RTT_MS=2 TERANGA_WAN_PORT=<free block> npx vitest run --project e2e test/wan.e2e.ts`
 * (`npm run test:wan`). Without TERANGA_WAN the file has nothing to check and skips.
 * Counts are read from the proxy's link counters, never from times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFrom, serviceByName, siteGateway, SITE_IDS, SITES, type NodeService, type SiteId } from '../lib/topology.ts';
import { everyCoordinatorRecovery, graphql, sql, topology } from './support/cluster.ts';
import { ownClient, ownProduct, type OwnClient } from './support/fixtures.ts';
import { placeOrderAt } from './support/orders.ts';
import { asCustomer } from './support/tokens.ts';
import { until } from './support/until.ts';
import { describeCrossings, wanCrossings, type Crossings } from './support/wan-counters.ts';

const CATALOG = '{ product(id: "101") { id name price } }';

async function ask(url: string, query: string): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return response.json();
}

/** A customer's request from `site`'s city to a gateway, through the WAN link when the gateway is elsewhere. */
function urlFrom(site: SiteId, service: NodeService): string {
  const { host, port } = endpointFrom(topology, site, service);
  return service.url.replace(`//${service.host}:${service.port}`, `//${host}:${port}`);
}

describe.skipIf(!topology.wan)('simulated WAN', () => {
  const gateway = serviceByName(topology, 'gateway');
  // every coordinator's recovery loop calls every site in the background: paused while counting
  let restore: () => Promise<void>;
  beforeAll(async () => {
    restore = await everyCoordinatorRecovery({ intervalMs: 3_600_000 });
  });
  afterAll(() => restore());

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

  it('carries the logical copies across the WAN too: a stock change at Saint-Louis reaches Thiès’s copy through that link', async () => {
    const product = await ownProduct({ 'saint-louis': 1 }, 1_000, 'wan-copy');
    const thiesSees = async (quantity: number) => {
      const answer = await graphql<{ warehouseStock: { site: string; quantity: number }[] }>(
        'query($ids: [ID!]!) { warehouseStock(productIds: $ids) { site quantity } }', { ids: [String(product.id)] }, { url: siteGateway(topology, 'thies').url });
      return answer.data?.warehouseStock.find((f) => f.site === 'SAINT_LOUIS')?.quantity === quantity;
    };
    await until('Thiès copies the fixture', () => thiesSees(1));
    const { crossings } = await wanCrossings(topology, async () => {
      await sql('saint-louis', 'UPDATE stock SET quantite = 7 WHERE produit_id = $1', [product.id]);
      await until('Thiès copies the change', () => thiesSees(7));
    });
    expect(crossings.links['thies->saint-louis/replication']?.bytesDown ?? 0, describeCrossings(crossings)).toBeGreaterThan(0);
    await product.remove();
  });

  // the budget for a customer at their own site's gateway (a serving tier per site): 0 crossings
  const thiesGateway = topology.services.find((s) => s.kind === 'gateway' && s.location === 'thies');
  it.skipIf(!thiesGateway)('a Thiès customer’s catalog read at the Thiès gateway crosses the WAN 0 times', async () => {
    await ask(urlFrom('thies', thiesGateway!), CATALOG);
    const { crossings } = await wanCrossings(topology, () => ask(urlFrom('thies', thiesGateway!), CATALOG));
    expect(crossings.roundTrips, describeCrossings(crossings)).toBe(0);
  });
});

const CITY: Record<SiteId, string> = { dakar: 'Dakar', thies: 'Thiès', 'saint-louis': 'Saint-Louis' };
const CATALOG_READ = 'query($id: ID!) { product(id: $id) { id name price } products(limit: 5) { id name price } }';
const PROFILE_READ = 'query($id: ID!) { client(id: $id) { id name city site orders { id status total lines { quantity unitPrice product { id name } } } } }';

/** The request path's crossings: every http and sql link but the payment provider's (counted on its own). */
function requestPath(c: Crossings, site: SiteId): Record<string, number> {
  return Object.fromEntries(
    Object.entries(c.links).filter(([id, l]) => id !== `${site}->payments` && !id.endsWith('/replication') && l.roundTrips > 0).map(([id, l]) => [id, l.roundTrips]),
  );
}

/**
 * Item 4 of the geography issue: for a customer at their own site's gateway, catalog, profile and
 * an order from their own warehouse cross no WAN link; an order drawing on the other warehouses
 * crosses once to each (its prepare), its COMMIT PREPARED after the answer once more. The payment
 * provider stands for an outside provider with one endpoint, in Dakar: its authorization is one
 * round trip from the other cities, counted apart (`<site>->payments`), never hidden.
 */
describe.skipIf(!topology.wan)('the round-trip budget of a customer at their own site’s gateway', () => {
  let restore: () => Promise<void>;
  beforeAll(async () => {
    restore = await everyCoordinatorRecovery({ intervalMs: 3_600_000 });
  });
  afterAll(() => restore());

  describe.each(SITE_IDS.map((site) => [site]))('a customer of %s', (site: SiteId) => {
    const others = SITE_IDS.filter((s) => s !== site);
    const gateway = siteGateway(topology, site);
    const url = urlFrom(site, gateway);
    let client: OwnClient;
    // fixtures are left in place: an order line names each, and this cluster serves this file only
    let own: number; let spreadWarm: number; let spread: number;
    beforeAll(async () => {
      client = await ownClient(CITY[site], `wan-${site}`);
      expect(client.site).toBe(site);
      own = (await ownProduct({ [site]: 10 }, 1_000, `wan-own-${site}`)).id;
      // one unit at each other warehouse, none here: an order of 2 draws on both others
      const elsewhere = Object.fromEntries(others.map((o) => [o, 1]));
      spreadWarm = (await ownProduct(elsewhere, 1_000, `wan-spread-${site}`)).id;
      spread = (await ownProduct(elsewhere, 1_000, `wan-spread-${site}`)).id;
      // the site's copies (catalogue, other warehouses' stock) have the fixtures
      await until(`the copies at ${site} hold the fixtures`, async () => {
        const answer = await graphql<{ warehouseStock: { productId: string; site: string }[]; product: { id: string } | null }>(
          'query($ids: [ID!]!, $id: ID!) { warehouseStock(productIds: $ids) { productId site } product(id: $id) { id } }',
          { ids: [own, spreadWarm, spread].map(String), id: String(spread) }, { url: gateway.url });
        return answer.data?.product !== null && answer.data?.product !== undefined && answer.data.warehouseStock.length === 9;
      });
    });

    it('reads the catalogue crossing the WAN 0 times, and the same as the Dakar gateway answers', async () => {
      const read = () => graphql(CATALOG_READ, { id: String(own) }, { url });
      await read();
      const { result, crossings } = await wanCrossings(topology, read);
      expect(crossings.roundTrips, describeCrossings(crossings)).toBe(0);
      const central = await graphql(CATALOG_READ, { id: String(own) }, { url: urlFrom(site, serviceByName(topology, 'gateway')) });
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual(central.data);
    });

    it('reads a product over REST at its own site alone: the other warehouses’ stock from the site’s copies, nothing crosses', async () => {
      const rest = () => fetch(url.replace('/graphql', `/api/products/${own}`)).then(async (r) => ({ status: r.status, body: await r.json() }));
      await rest();
      const { result, crossings } = await wanCrossings(topology, rest);
      expect(result.status).toBe(200);
      // every warehouse's quantity (inventory, stock) is answered by the customer's site: its own
      // live, the others from its logical copies while they are fresh (TERANGA_STOCK_COPY_MAX_AGE_MS)
      expect(requestPath(crossings, site), describeCrossings(crossings)).toEqual({});
    });

    it('places an order served by their own warehouse crossing the WAN 0 times (the provider’s authorization apart)', async () => {
      const order = () => placeOrderAt(url, { clientId: client.id, items: [{ productId: String(own), quantity: 1 }] });
      expect((await order()).data?.placeOrder.order).not.toBeNull(); // warms every connection on the path
      await paymentsSettled(site);
      const { result, crossings } = await wanCrossings(topology, async () => {
        const answer = await order();
        await paymentsSettled(site);
        return answer;
      });
      expect(result.data?.placeOrder.error, JSON.stringify(result.data)).toBeNull();
      expect(requestPath(crossings, site), describeCrossings(crossings)).toEqual({});
      // the provider, in Dakar: authorization before the commit, capture by the site's relay after it
      expect(crossings.links[`${site}->payments`]?.roundTrips ?? 0, describeCrossings(crossings)).toBe(site === 'dakar' ? 0 : 2);
    });

    it('reads their profile and orders crossing the WAN 0 times, and the same as the Dakar gateway answers', async () => {
      const headers = await asCustomer(client.id);
      const read = () => graphql(PROFILE_READ, { id: client.id }, { url, headers });
      await read();
      const { result, crossings } = await wanCrossings(topology, read);
      expect(crossings.roundTrips, describeCrossings(crossings)).toBe(0);
      expect(result.errors).toBeUndefined();
      expect((result.data as { client: { orders: unknown[] } }).client.orders.length).toBeGreaterThan(0);
      const central = await graphql(PROFILE_READ, { id: client.id }, { url: urlFrom(site, serviceByName(topology, 'gateway')), headers });
      expect(result.data).toEqual(central.data);
    });

    it('places an order drawing on both other warehouses with one round trip to each on the request path', async () => {
      const order = (productId: number) => placeOrderAt(url, { clientId: client.id, items: [{ productId: String(productId), quantity: 2 }] });
      expect((await order(spreadWarm)).data?.placeOrder.order).not.toBeNull();
      await settled(site);
      const { result, crossings } = await wanCrossings(topology, async () => {
        const answer = await order(spread);
        // COMMIT PREPARED at the others comes after the answer: counted once it is done
        await settled(site);
        return answer;
      });
      expect(result.data?.placeOrder.error, JSON.stringify(result.data)).toBeNull();
      // per other warehouse: its prepare on the request path, its COMMIT PREPARED after the answer
      const expected = Object.fromEntries(others.filter((o) => SITES[o].id !== site).map((o) => [`${site}->region-${o}`, 2]));
      expect(requestPath(crossings, site), describeCrossings(crossings)).toEqual(expected);
    });
  });
});

/** The site's payment outbox is empty: the relay has told the provider about every order. */
async function paymentsSettled(site: SiteId): Promise<void> {
  await until(`${site}'s payment outbox drained`, async () => {
    const [row] = await sql<{ n: number }>(site, "SELECT count(*)::int AS n FROM sortie_paiement WHERE statut = 'PENDING'");
    return row!.n === 0;
  });
}

/** No share prepared anywhere and the site's payment outbox empty: everything after the answer is done. */
async function settled(site: SiteId): Promise<void> {
  await until('no prepared transaction at any site', async () => {
    for (const s of SITE_IDS) {
      const [row] = await sql<{ n: number }>(s, "SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid LIKE 'tg:%'");
      if (row!.n > 0) return false;
    }
    return true;
  });
  await paymentsSettled(site);
}
