/**
 * The regional subgraph, in-process against the cluster's site databases: the thies and dakar
 * processes, each reading only its own fragments.
 *
 * SQL statements are counted with kysely's `log` hook (the `log` option of createRegionServer),
 * which runs once per statement a server sends (BEGIN and COMMIT included), before the response
 * is written: a request's count is the counter's value when its response arrives.
 *
 * Every row a test writes is removed again, so the seed stays as it was.
 */
import { randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import type { SiteId } from '../lib/sites.ts';
import type { RegionContext } from '../subgraphs/region/context.ts';
import { createRegionServer } from '../subgraphs/region/server.ts';
import { graphql, sql, topology, type GraphQLResponse } from './support/cluster.ts';
import { ownClient, ownProduct, type OwnClient, type OwnProduct } from './support/fixtures.ts';
import { quietLogger } from './support/quiet-logger.ts';
import { asAdmin, testTokenVerifier } from './support/tokens.ts';

const servers: Partial<Record<SiteId, RunningServer>> = {};
const statements: Record<SiteId, number> = { dakar: 0, thies: 0, 'saint-louis': 0 };

/** Orders written at thies for the order tests: the file's own Thiès client `two` has two, `one` one. */
const orders = { older: randomUUID(), newer: randomUUID(), other: randomUUID() };
let owners: { two: OwnClient; one: OwnClient };
let restocked: OwnProduct;

beforeAll(async () => {
  for (const site of ['thies', 'dakar'] as const) {
    const server = await createRegionServer({
      topology,
      site,
      tokenVerifier: testTokenVerifier(),
      logger: quietLogger(`region-${site}`),
      log: () => void (statements[site] += 1),
      // a fast heartbeat: its writes must never be counted as a request's statements
      heartbeatMs: 20,
    });
    servers[site] = await server.listen(0);
  }
  owners = { two: await ownClient('Thiès', 'region-orders-two'), one: await ownClient('Thiès', 'region-orders-one') };
  restocked = await ownProduct({ thies: 12 }, 10_000, 'region-restock');
  await sql(
    'thies',
    `INSERT INTO commande (id, client_id, statut, total, created_at) VALUES
       ($1, $4, 'CONFIRMEE', 1250000, now() - interval '2 hours'),
       ($2, $4, 'ANNULEE', 75000, now() - interval '1 hour'),
       ($3, $5, 'CONFIRMEE', 30000, now() - interval '1 hour')`,
    [orders.older, orders.newer, orders.other, Number(owners.two.id), Number(owners.one.id)],
  );
  await sql(
    'thies',
    `INSERT INTO ligne_commande (commande_id, produit_id, site, quantite, prix_unitaire) VALUES
       ($1, 101, 'thies', 1, 450000), ($1, 102, 'dakar', 1, 350000), ($1, 101, 'saint-louis', 1, 450000),
       ($2, 103, 'thies', 1, 75000), ($3, 108, 'thies', 1, 30000)`,
    [orders.older, orders.newer, orders.other],
  );
  await sql(
    'thies',
    `INSERT INTO paiement (commande_id, montant, methode, statut, reference) VALUES
       ($1, 1250000, 'WAVE', 'CAPTURE', 'test-wave-1'), ($2, 75000, 'CARD', 'REMBOURSE', 'test-card-2')`,
    [orders.older, orders.newer],
  );
});

afterAll(async () => {
  // lines and payments go with their order (ON DELETE CASCADE)
  await sql('thies', 'DELETE FROM commande WHERE id = ANY($1::uuid[])', [Object.values(orders)]).catch(() => {});
  await restocked?.remove();
  await Promise.all(Object.values(servers).map((s) => s.stop()));
});

/**
 * Runs one operation on one site's server, as an administrator (who may read every client);
 * returns the response and the SQL statements it caused.
 */
async function run<T = Record<string, any>>(site: SiteId, query: string, variables: Record<string, unknown> = {}) {
  const headers = await asAdmin();
  statements[site] = 0;
  const response: GraphQLResponse<T> = await graphql<T>(query, variables, { url: servers[site]!.url, headers });
  return { ...response, statements: statements[site] };
}

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on StockLevel { productId site quantity }
    ... on Client { id name }
    ... on Order { id status }
  }
}`;

const quantitiesAt = async (site: SiteId, productIds: number[]) =>
  new Map(
    (
      await sql<{ produit_id: number; quantite: number }>(site, 'SELECT produit_id, quantite FROM stock WHERE produit_id = ANY($1)', [
        productIds,
      ])
    ).map((r) => [r.produit_id, r.quantite]),
  );

describe('region subgraph: clients', () => {
  it('publishes its federation SDL', async () => {
    const { data } = await run('thies', '{ _service { sdl } }');
    expect(data?._service.sdl).toMatch(/type Client\s+@key\(fields: "id"\)/);
    expect(data?._service.sdl).toMatch(/type StockLevel\s+@key\(fields: "productId site"\)/);
    expect(data?._service.sdl).toContain('restock(productId: ID!, site: Site!, quantity: Int!): StockLevel!');
  });

  it('serves client 2 (Awa Diop) from thies only', async () => {
    const query = '{ client(id: "2") { id name city email site } }';
    const thies = await run('thies', query);
    expect(thies.errors).toBeUndefined();
    expect(thies.data?.client).toEqual({ id: '2', name: 'Awa Diop', city: 'Thiès', email: 'adiop@example.com', site: 'THIES' });
    const dakar = await run('dakar', query);
    expect(dakar.errors).toBeUndefined();
    expect(dakar.data?.client).toBeNull();
    const entity = await run('dakar', ENTITIES, { representations: [{ __typename: 'Client', id: '2' }] });
    expect(entity.data?._entities).toEqual([null]);
  });

  it('answers null for unknown or malformed client ids', async () => {
    const { data, errors } = await run('thies', '{ a: client(id: "999999") { id } b: client(id: "abc") { id } c: client(id: "-2") { id } }');
    expect(errors).toBeUndefined();
    expect(data).toEqual({ a: null, b: null, c: null });
  });

  it('lists the clients of a city, by any spelling, ordered by id', async () => {
    const { data, errors } = await run('thies', '{ clients(city: "thies") { id city site } }');
    expect(errors).toBeUndefined();
    const expected = await sql<{ id: number }>('thies', "SELECT id FROM client WHERE ville = 'Thiès' ORDER BY id");
    expect(expected.length).toBeGreaterThan(1);
    expect(data?.clients).toEqual(expected.map((r) => ({ id: String(r.id), city: 'Thiès', site: 'THIES' })));
  });

  it('lists nothing for a city or a site served elsewhere, everything with no argument', async () => {
    const { data } = await run(
      'thies',
      '{ dakarCity: clients(city: "Dakar") { id } dakarSite: clients(site: DAKAR) { id } ownSite: clients(site: THIES) { id } all: clients { id } }',
    );
    const all = (await sql<{ id: number }>('thies', 'SELECT id FROM client ORDER BY id')).map((r) => ({ id: String(r.id) }));
    expect(data).toEqual({ dakarCity: [], dakarSite: [], ownSite: all, all });
  });

  it('refuses an unknown city with UNKNOWN_CITY naming it, with the closest known cities', async () => {
    const clients = await run('thies', '{ clients(city: "Paris") { id } }');
    expect(clients.errors?.[0]?.extensions).toMatchObject({ code: 'UNKNOWN_CITY', city: 'Paris', suggestions: [] });
    const site = await run('thies', '{ siteForCity(city: "Louga ") }');
    expect(site.data?.siteForCity).toBe('SAINT_LOUIS');
    const near = await run('thies', '{ siteForCity(city: "Lougaa") }');
    expect(near.errors?.[0]?.extensions).toMatchObject({ code: 'UNKNOWN_CITY', city: 'Lougaa', suggestions: ['Louga'] });
  });

  it('places cities on their nearest site', async () => {
    const { data } = await run('dakar', '{ a: siteForCity(city: "Kaolack") b: siteForCity(city: "SAINT LOUIS") c: siteForCity(city: "Rufisque") }');
    expect(data).toEqual({ a: 'THIES', b: 'SAINT_LOUIS', c: 'DAKAR' });
  });
});

describe('region subgraph: stock', () => {
  it('resolves StockLevel entities in one statement, null for other sites and unknown products', async () => {
    const quantities = await quantitiesAt('thies', [101, 102, 104]);
    const { data, errors, statements: count } = await run('thies', ENTITIES, {
      representations: [
        { __typename: 'StockLevel', productId: '101', site: 'THIES' },
        { __typename: 'StockLevel', productId: '102', site: 'THIES' },
        { __typename: 'StockLevel', productId: '103', site: 'DAKAR' },
        { __typename: 'StockLevel', productId: '104', site: 'THIES' },
        { __typename: 'StockLevel', productId: '105', site: 'SAINT_LOUIS' },
        { __typename: 'StockLevel', productId: '999999', site: 'THIES' },
      ],
    });
    expect(errors).toBeUndefined();
    expect(data?._entities).toEqual([
      { productId: '101', site: 'THIES', quantity: quantities.get(101) },
      { productId: '102', site: 'THIES', quantity: quantities.get(102) },
      null,
      { productId: '104', site: 'THIES', quantity: quantities.get(104) },
      null,
      null,
    ]);
    expect(count).toBe(1);
  });

  it('resolves Product entities to this warehouse’s part of the stock, in one statement: one level, its quantity, zero without a row', async () => {
    const [quantity] = (await quantitiesAt('thies', [101])).values();
    const { data, errors, statements: count } = await run(
      'thies',
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id stock inventory { productId site quantity } } } }',
      {
        r: [
          { __typename: 'Product', id: '101', name: 'Ordinateur HP' },
          { __typename: 'Product', id: '999999', name: 'absent' },
        ],
      },
    );
    expect(errors).toBeUndefined();
    expect(data?._entities).toEqual([
      { id: '101', stock: quantity, inventory: [{ productId: '101', site: 'THIES', quantity }] },
      { id: '999999', stock: 0, inventory: [{ productId: '999999', site: 'THIES', quantity: 0 }] },
    ]);
    expect(count).toBe(1);
  });

  it('sends as many statements for forty StockLevels as for two', async () => {
    const representations = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ __typename: 'StockLevel', productId: String(101 + i), site: 'DAKAR' }));
    const two = await run('dakar', ENTITIES, { representations: representations(2) });
    const forty = await run('dakar', ENTITIES, { representations: representations(40) });
    expect(forty.data?._entities).toHaveLength(40);
    expect(forty.data?._entities.every((e: { quantity?: number } | null) => typeof e?.quantity === 'number')).toBe(true);
    expect(forty.statements).toBe(two.statements);
  });
});

describe('region subgraph: restock', () => {
  const RESTOCK = `mutation ($productId: ID!, $site: Site!, $quantity: Int!) {
    restock(productId: $productId, site: $site, quantity: $quantity) { productId site quantity }
  }`;
  // the file's own product, stocked at Thiès only (removed with its ledger lines after the file)
  let PRODUCT: number;
  beforeAll(() => {
    PRODUCT = restocked.id;
  });

  const snapshot = async () => {
    const [stock] = await sql<{ quantite: number; version: number }>('thies', 'SELECT quantite, version FROM stock WHERE produit_id = $1', [PRODUCT]);
    const [ledger] = await sql<{ last: number | null }>('thies', 'SELECT max(id) AS last FROM mouvement_stock WHERE produit_id = $1', [PRODUCT]);
    return { quantity: stock!.quantite, version: stock!.version, lastMovement: ledger!.last ?? 0 };
  };

  it('refuses a quantity that is not a whole number from 1 to 1,000,000, writing nothing', async () => {
    const before = await snapshot();
    for (const quantity of [0, -1, 2.5, 1_000_001]) {
      const { errors, data } = await run('thies', RESTOCK, { productId: String(PRODUCT), site: 'THIES', quantity });
      expect(errors?.[0]?.extensions?.code, `quantity ${quantity}`).toBe('BAD_USER_INPUT');
      expect(data?.restock ?? null).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses another site\'s warehouse with BAD_USER_INPUT', async () => {
    const before = await snapshot();
    const { errors } = await run('thies', RESTOCK, { productId: String(PRODUCT), site: 'DAKAR', quantity: 5 });
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await snapshot()).toEqual(before);
  });

  it('answers NOT_FOUND for a product the warehouse does not stock', async () => {
    for (const productId of ['999999', 'abc']) {
      const { errors } = await run('thies', RESTOCK, { productId, site: 'THIES', quantity: 5 });
      expect(errors?.[0]?.extensions, productId).toMatchObject({ code: 'NOT_FOUND', productId });
    }
  });

  it('adds the quantity and writes one ledger line, in one transaction', async () => {
    const before = await snapshot();
    {
      const { data, errors, statements: count } = await run('thies', RESTOCK, { productId: String(PRODUCT), site: 'THIES', quantity: 7 });
      expect(errors).toBeUndefined();
      expect(data?.restock).toEqual({ productId: String(PRODUCT), site: 'THIES', quantity: before.quantity + 7 });
      // BEGIN, UPDATE, INSERT, COMMIT
      expect(count).toBe(4);
      const written = await sql<{ id: number; delta: number; motif: string; commande_id: string | null }>('thies', 'SELECT id, delta, motif, commande_id FROM mouvement_stock WHERE id > $1 AND produit_id = $2', [
        before.lastMovement,
        PRODUCT,
      ]);
      expect(written.map(({ delta, motif, commande_id }) => ({ delta, motif, commande_id }))).toEqual([
        { delta: 7, motif: 'REAPPROVISIONNEMENT', commande_id: null },
      ]);
      expect((await snapshot()).quantity).toBe(before.quantity + 7);
    }
  });
});

describe('region subgraph: orders', () => {
  it('serves a client\'s orders newest first, with lines, payment and client', async () => {
    const { data, errors } = await run(
      'thies',
      `{ client(id: "${owners.two.id}") { orders {
          id site status total createdAt
          lines { product { id } quantity unitPrice site }
          payment { status method amount reference }
          client { id name }
      } } }`,
    );
    expect(errors).toBeUndefined();
    const all: { id: string; createdAt: string }[] = data?.client.orders ?? [];
    const times = all.map((o) => Date.parse(o.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // the file's own client: its orders are the ones written above
    expect(all.map((o) => o.id).sort()).toEqual([orders.newer, orders.older].sort());
    const [newer, older] = all.filter((o) => o.id === orders.newer || o.id === orders.older) as Record<string, any>[];
    expect(newer).toMatchObject({
      id: orders.newer,
      site: 'THIES',
      status: 'CANCELLED',
      total: 75000,
      lines: [{ product: { id: '103' }, quantity: 1, unitPrice: 75000, site: 'THIES' }],
      payment: { status: 'REFUNDED', method: 'CARD', amount: 75000, reference: 'test-card-2' },
      client: { id: owners.two.id, name: 'Client region-orders-two' },
    });
    expect(older).toMatchObject({
      id: orders.older,
      status: 'CONFIRMED',
      total: 1250000,
      lines: [
        { product: { id: '101' }, quantity: 1, unitPrice: 450000, site: 'SAINT_LOUIS' },
        { product: { id: '101' }, quantity: 1, unitPrice: 450000, site: 'THIES' },
        { product: { id: '102' }, quantity: 1, unitPrice: 350000, site: 'DAKAR' },
      ],
      payment: { status: 'CAPTURED', method: 'WAVE', amount: 1250000 },
    });
    expect(new Date(older!.createdAt).toISOString()).toBe(older!.createdAt);
  });

  it('reads orders, lines and payments of every listed client with one statement each', async () => {
    const { data, errors, statements: count } = await run(
      'thies',
      '{ clients { id orders { id lines { quantity } payment { status } client { id } } } }',
    );
    expect(errors).toBeUndefined();
    const withOrders = data?.clients.filter((c: { orders: unknown[] }) => c.orders.length > 0).map((c: { id: string }) => c.id);
    expect(withOrders).toEqual(expect.arrayContaining([owners.two.id, owners.one.id]));
    // clients, orders, lines, payments; Order.client is served by the listed clients
    expect(count).toBe(4);
  });

  it('finds an order by id on its own site only; a malformed id is null, not an error', async () => {
    const query = `query ($id: ID!) { order(id: $id) { id status client { id } } }`;
    const own = await run('thies', query, { id: orders.other.toUpperCase() });
    expect(own.data?.order).toEqual({ id: orders.other, status: 'CONFIRMED', client: { id: owners.one.id } });
    const elsewhere = await run('dakar', query, { id: orders.other });
    expect(elsewhere.data?.order).toBeNull();
    const malformed = await run('thies', query, { id: 'not-a-uuid' });
    expect(malformed.errors).toBeUndefined();
    expect(malformed.data?.order).toBeNull();
  });

  it('resolves Order entities of its own site in one statement', async () => {
    const { data, errors, statements: count } = await run('thies', ENTITIES, {
      representations: [
        { __typename: 'Order', id: orders.newer, site: 'THIES' },
        { __typename: 'Order', id: orders.older, site: 'DAKAR' },
        { __typename: 'Order', id: orders.older, site: 'THIES' },
        { __typename: 'Order', id: 'not-a-uuid', site: 'THIES' },
        { __typename: 'Order', id: randomUUID(), site: 'THIES' },
      ],
    });
    expect(errors).toBeUndefined();
    expect(data?._entities).toEqual([
      { id: orders.newer, status: 'CANCELLED' },
      null,
      { id: orders.older, status: 'CONFIRMED' },
      null,
      null,
    ]);
    expect(count).toBe(1);
  });
});

describe('region subgraph: extension points', () => {
  it('serves extra type definitions and resolvers with the request context', async () => {
    const secret = 'a-secret-of-thirty-two-characters';
    const server = await createRegionServer({
      topology,
      site: 'saint-louis',
      internalSecret: secret,
      logger: quietLogger('region-saint-louis'),
      extraTypeDefs: parse('extend type Query { servingSite: Site! @inaccessible caller: String @inaccessible internal: Boolean! @inaccessible }'),
      extraResolvers: {
        Query: {
          servingSite: (_parent: unknown, _args: unknown, ctx: RegionContext) => ctx.site,
          caller: (_parent: unknown, _args: unknown, ctx: RegionContext) => ctx.headers['x-caller'] ?? null,
          internal: (_parent: unknown, _args: unknown, ctx: RegionContext) => ctx.internalCaller,
        },
      },
    });
    const running = await server.listen(0);
    try {
      const query = '{ servingSite caller internal siteForCity(city: "Podor") }';
      const trusted = await graphql(query, {}, { url: running.url, headers: { 'x-caller': 'orders', [INTERNAL_SECRET_HEADER]: secret } });
      expect(trusted.errors).toBeUndefined();
      expect(trusted.data).toEqual({ servingSite: 'SAINT_LOUIS', caller: 'orders', internal: true, siteForCity: 'SAINT_LOUIS' });
      for (const headers of [{}, { [INTERNAL_SECRET_HEADER]: `${secret}x` }] as Record<string, string>[]) {
        const untrusted = await graphql<{ internal: boolean }>('{ internal }', {}, { url: running.url, headers });
        expect(untrusted.data?.internal).toBe(false);
      }
    } finally {
      await running.stop();
    }
  });
});
