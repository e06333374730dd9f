/**
 * A serving tier at every site: one gateway and one order coordinator per site, the other
 * warehouses' stock and the client directory read from local copies kept by logical replication.
 * Fixtures: the seeded catalog and clients; the client it moves is registered here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { stockSubscriptionName } from '../cluster/logical-copies.ts';
import { connectionStringTo, copyDatabase, gatewayNames, siteCoordinator, siteGateway, SITE_IDS, type SiteId } from '../lib/topology.ts';
import { clusterStatus } from '../cluster/status.ts';
import { graphql, internalHeaders, serverNamed, sql, topology } from './support/cluster.ts';
import { ownClient, ownProduct } from './support/fixtures.ts';
import { placeOrderAt } from './support/orders.ts';
import { asAdmin } from './support/tokens.ts';
import { until } from './support/until.ts';

const run = promisify(execFile);

/** Reads until the value read satisfies `done`, and answers with that value. */
const readUntil = <T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> =>
  until(what, async () => {
    const value = await read();
    return done(value) ? { value } : null;
  }, { everyMs: 50 }).then(({ value }) => value);

describe('a gateway and a coordinator at every site', () => {
  it('lists one gateway per site, with its site and url, Dakar on TERANGA_PORT', async () => {
    const status = await clusterStatus(topology);
    const gateways = status.services.filter((s) => s.kind === 'gateway');
    expect(gateways.map((g) => g.site).sort()).toEqual([...SITE_IDS].sort());
    expect(gateways.find((g) => g.site === 'dakar')!.port).toBe(Number(process.env.TERANGA_PORT));
    expect(gateways.every((g) => g.role === 'up' && g.url.endsWith('/graphql'))).toBe(true);
    expect(gatewayNames()).toHaveLength(SITE_IDS.length);
  });

  it('answers the same at every site gateway as at Dakar\'s', async () => {
    const query = '{ products { id name price stock } clients(site: THIES) { id city } siteForCity(city: "Mbour") }';
    const answers = await Promise.all(SITE_IDS.map(async (site) => graphql(query, {}, { url: siteGateway(topology, site).url, headers: await asAdmin() })));
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(answers[0]!.data);
    }
  });
});

describe('other warehouses\' stock from the local copy', () => {
  const STOCK = `query($ids: [ID!]!, $at: Site) { warehouseStock(productIds: $ids, at: $at) { productId site quantity seenFrom live asOf maxAgeMs } }`;
  type Figure = { productId: string; site: string; quantity: number; seenFrom: string; live: boolean; asOf: string | null; maxAgeMs: number | null };

  it('converges on a change at another warehouse and shows how old each figure may be', async () => {
    const [row] = await sql<{ produit_id: number; quantite: number }>('thies', 'SELECT produit_id, quantite FROM stock ORDER BY produit_id LIMIT 1');
    const target = row!.quantite + 7;
    await sql('thies', 'UPDATE stock SET quantite = $1 WHERE produit_id = $2', [target, row!.produit_id]);
    const read = async () => (await graphql<{ warehouseStock: Figure[] }>(STOCK, { ids: [String(row!.produit_id)], at: 'DAKAR' }, { url: siteGateway(topology, 'dakar').url })).data?.warehouseStock ?? [];
    const figures = await readUntil(read, (f) => f.find((x) => x.site === 'THIES')?.quantity === target, 'the copy at Dakar shows the new Thiès quantity');
    const thies = figures.find((f) => f.site === 'THIES')!;
    expect(thies).toMatchObject({ seenFrom: 'DAKAR', live: false });
    expect(thies.asOf).not.toBeNull();
    expect(thies.maxAgeMs).toBeGreaterThanOrEqual(0);
    expect(figures.find((f) => f.site === 'DAKAR')).toMatchObject({ live: true, maxAgeMs: 0 });
    await sql('thies', 'UPDATE stock SET quantite = $1 WHERE produit_id = $2', [row!.quantite, row!.produit_id]);
  });

  it('is read at the gateway\'s own site when no site is named', async () => {
    for (const site of SITE_IDS) {
      const answer = await graphql<{ warehouseStock: Figure[] }>(STOCK, { ids: ['101'] }, { url: siteGateway(topology, site).url });
      expect(answer.errors).toBeUndefined();
      expect(new Set(answer.data!.warehouseStock.map((f) => f.seenFrom))).toEqual(new Set([site.toUpperCase().replace('-', '_')]));
    }
  });
});

describe('an order\'s first guess from the local copies', () => {
  /** Runs `fn` on `subscriber`'s copy of `source`'s stock, its subscription stopped (the copy frozen), and starts it again. */
  async function withFrozenCopy<T>(source: SiteId, subscriber: SiteId, fn: () => Promise<T>): Promise<T> {
    const name = stockSubscriptionName(source, subscriber);
    const copy = new pg.Client({ connectionString: connectionStringTo(topology, serverNamed(subscriber), copyDatabase(source)) });
    await copy.connect();
    try {
      await copy.query(`ALTER SUBSCRIPTION ${name} DISABLE`);
      // the apply worker stops a little later: frozen once it is gone
      await readUntil(() => copy.query('SELECT count(*)::int AS n FROM pg_stat_subscription WHERE subname = $1 AND pid IS NOT NULL', [name]), (r) => r.rows[0].n === 0, `${name} stopped`);
      return await fn();
    } finally {
      await copy.query(`ALTER SUBSCRIPTION ${name} ENABLE`);
      await copy.end();
    }
  }

  const copiedAt = (site: SiteId, productId: number, expected: Partial<Record<SiteId, number>>) =>
    readUntil(
      async () => (await graphql<{ warehouseStock: { site: string; quantity: number }[] }>('query($ids: [ID!]!) { warehouseStock(productIds: $ids) { site quantity } }', { ids: [String(productId)] }, { url: siteGateway(topology, site).url })).data?.warehouseStock ?? [],
      (figures) => Object.entries(expected).every(([s, q]) => figures.find((f) => f.site === s.toUpperCase().replace('-', '_'))?.quantity === q),
      `the copies at ${site} show ${JSON.stringify(expected)}`,
    );

  const conflicts = async (site: SiteId) => {
    const response = await fetch(siteCoordinator(topology, site).url.replace('/graphql', '/internal/concurrency'), { headers: internalHeaders() });
    return ((await response.json()) as { conflicts: number }).conflicts;
  };

  const linesOf = async (orderId: string, site: SiteId) =>
    (await graphql<{ order: { lines: { site: string; quantity: number }[] } | null }>('query($id: ID!) { order(id: $id) { lines { site quantity } } }', { id: orderId }, { url: siteGateway(topology, site).url, headers: await asAdmin() })).data?.order?.lines ?? [];

  it('costs one attempt, not the order, when the copy shows stock the warehouse no longer has', async () => {
    const client = await ownClient('Thiès', 'stale-more');
    const product = await ownProduct({ dakar: 1, 'saint-louis': 5 }, 1_000, 'stale-more');
    await copiedAt('thies', product.id, { dakar: 1, 'saint-louis': 5 });
    const before = await conflicts('thies');
    const placed = await withFrozenCopy('dakar', 'thies', async () => {
      // gone at Dakar behind the frozen copy, which still shows 1 there
      await sql('dakar', 'UPDATE stock SET quantite = 0 WHERE produit_id = $1', [product.id]);
      return placeOrderAt(siteGateway(topology, 'thies').url, { clientId: client.id, items: [{ productId: String(product.id), quantity: 1 }] });
    });
    expect(placed.data?.placeOrder.error, JSON.stringify(placed)).toBeNull();
    // the guess took Dakar (nearest to Thiès), Dakar voted CONFLICT, the next attempt read the warehouses
    expect(await conflicts('thies')).toBe(before + 1);
    expect(await linesOf(placed.data!.placeOrder.order!.id, 'thies')).toEqual([{ site: 'SAINT_LOUIS', quantity: 1 }]);
    expect(await sql<{ quantite: number }>('saint-louis', 'SELECT quantite FROM stock WHERE produit_id = $1', [product.id])).toEqual([{ quantite: 4 }]);
  });

  it('still serves the order when the copy shows less stock than the warehouse has', async () => {
    const client = await ownClient('Thiès', 'stale-less');
    const product = await ownProduct({}, 1_000, 'stale-less');
    await copiedAt('thies', product.id, { dakar: 0, 'saint-louis': 0 });
    const placed = await withFrozenCopy('saint-louis', 'thies', async () => {
      // arrived at Saint-Louis behind the frozen copy, which still shows 0 there
      await sql('saint-louis', 'UPDATE stock SET quantite = 3 WHERE produit_id = $1', [product.id]);
      return placeOrderAt(siteGateway(topology, 'thies').url, { clientId: client.id, items: [{ productId: String(product.id), quantity: 2 }] });
    });
    expect(placed.data?.placeOrder.error, JSON.stringify(placed)).toBeNull();
    expect(await linesOf(placed.data!.placeOrder.order!.id, 'thies')).toEqual([{ site: 'SAINT_LOUIS', quantity: 2 }]);
  });
});

describe('the client directory at every site', () => {
  it('knows a moved client\'s new site at every site as soon as moveClient answers', async () => {
    const email = `tier-${Date.now()}@example.com`;
    const registered = await graphql<{ registerClient: { id: string } }>(
      'mutation($n: String!, $c: String!, $e: String!) { registerClient(input: { name: $n, city: $c, email: $e }) { id } }',
      { n: 'Awa Tier', c: 'Dakar', e: email },
      { headers: await asAdmin() },
    );
    expect(registered.errors).toBeUndefined();
    const id = Number(registered.data!.registerClient.id);
    const moved = await graphql('mutation($id: ID!, $c: String!) { moveClient(id: $id, city: $c) { id site } }', { id: String(id), c: 'Saint-Louis' }, { headers: await asAdmin() });
    expect(moved.errors).toBeUndefined();
    // read at once, no waiting: the move answered only once every copy had it
    for (const site of SITE_IDS) {
      const [copy] = await sql<{ site: string }>(site, 'SELECT site FROM client_site WHERE client_id = $1', [id]);
      expect(copy?.site, site).toBe('saint-louis');
    }
    for (const site of SITE_IDS as readonly SiteId[]) {
      const answer = await graphql<{ client: { site: string } | null }>('query($id: ID!) { client(id: $id) { site } }', { id: String(id) }, { url: siteGateway(topology, site).url, headers: await asAdmin() });
      expect(answer.data?.client?.site, site).toBe('SAINT_LOUIS');
    }
  });
});

describe('the Python client', () => {
  it('passes its tests against this cluster with the machine\'s python3', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'teranga-py-'));
    const statusFile = path.join(dir, 'status.json');
    writeFileSync(statusFile, JSON.stringify(await clusterStatus(topology)));
    const { stderr } = await run('python3', ['-m', 'unittest', '-v', 'test_teranga_client'], {
      cwd: path.join(topology.root, 'clients', 'python'),
      env: { ...process.env, TERANGA_STATUS_JSON: statusFile },
    });
    expect(stderr).toMatch(/\nOK\b/);
    expect(stderr).not.toMatch(/skipped/);
  });
});
