/**
 * The public GraphQL API through the running gateway: routing by site (checked with the routing
 * log of `x-teranga-debug-routing: 1`), the public schema, and partial answers when a site's
 * process is down.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, visit, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopService, up } from '../cluster/cluster.ts';
import { SEED_PRODUCTS } from '../seed/products.ts';
import { gatewayOrigin, graphql, serviceUrl, sql, topology, type GraphQLResponse } from './support/cluster.ts';
import { copiesCaughtUp, copiesNoticedStop } from './support/copies.ts';
import { asAdmin } from './support/tokens.ts';

const DEBUG = { 'x-teranga-debug-routing': '1' };

/** Reading clients needs the admin role (or the client's own token): the routing tests read many. */
let ADMIN: Record<string, string> = {};
beforeAll(async () => {
  ADMIN = await asAdmin();
});

interface Routed {
  subgraph: string;
  site: string | null;
}

function routing(response: GraphQLResponse<unknown> & { extensions?: Record<string, unknown> }): Routed[] {
  return (response.extensions?.routing as Routed[] | undefined) ?? [];
}

/** graphql() as an administrator, with the routing log; the helper's type omits `extensions`. */
async function routed<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return (await graphql<T>(query, variables, { headers: { ...DEBUG, ...ADMIN, ...headers } })) as GraphQLResponse<T> & {
    extensions?: Record<string, unknown>;
  };
}

const regionFetches = (response: Parameters<typeof routing>[0]) => routing(response).filter((r) => r.subgraph === 'regions');

interface ClientRow {
  id: string;
  name: string;
  city: string;
  site: string;
}

describe('routing by site', () => {
  it('every seed product’s stock is the sum of its inventory', async () => {
    const response = await graphql<{ products: { id: string; stock: number | null; inventory: { site: string; quantity: number }[] }[] }>(
      '{ products(limit: 200) { id stock inventory { site quantity } } }',
    );
    expect(response.errors).toBeUndefined();
    const products = response.data!.products;
    const byId = new Map(products.map((p) => [p.id, p]));
    for (const seed of SEED_PRODUCTS) {
      const product = byId.get(String(seed.id));
      expect(product, `product ${seed.id}`).toBeDefined();
      expect(product!.inventory.map((l) => l.site).sort()).toEqual(['DAKAR', 'SAINT_LOUIS', 'THIES']);
      expect(product!.stock).toBe(product!.inventory.reduce((sum, l) => sum + l.quantity, 0));
    }
  });

  it('a product’s stock is every warehouse’s, also when reached through an order line held by one site', async () => {
    const placed = await routed<{ placeOrder: { order: { id: string } | null; error: { code: string } | null } }>(
      'mutation { placeOrder(input: { clientId: "2", items: [{ productId: "104", quantity: 1 }] }) { order { id } error { code } } }',
    );
    const orderId = placed.data!.placeOrder.order!.id;
    try {
      // the two reads of product 104 below are answered from Dakar's copies: both after the order's decrement
      await copiesCaughtUp([104]);
      const response = await routed<{
        order: { lines: { product: { id: string; stock: number; inventory: { site: string; quantity: number }[] } }[] };
        product: { stock: number };
      }>(`{ order(id: "${orderId}") { lines { product { id stock inventory { site quantity } } } } product(id: "104") { stock } }`);
      expect(response.errors).toBeUndefined();
      const [line] = response.data!.order.lines;
      expect(line!.product.inventory.map((l) => l.site)).toEqual(['DAKAR', 'THIES', 'SAINT_LOUIS']);
      expect(line!.product.stock).toBe(response.data!.product.stock);
      expect(line!.product.stock).toBe(line!.product.inventory.reduce((sum, l) => sum + l.quantity, 0));
    } finally {
      await routed(`mutation { cancelOrder(id: "${orderId}") { id } }`);
    }
  });

  it('client(id) reaches only the client’s own site', async () => {
    const response = await routed<{ client: ClientRow }>('{ client(id: "2") { id name city site } }');
    expect(response.errors).toBeUndefined();
    expect(response.data!.client).toEqual({ id: '2', name: 'Awa Diop', city: 'Thiès', site: 'THIES' });
    expect(routing(response)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
  });

  it('client(id) with a variable is routed like a literal', async () => {
    const response = await routed<{ client: ClientRow }>('query One($id: ID!) { client(id: $id) { name site } }', { id: '3' });
    expect(response.data!.client).toEqual({ name: 'Ibrahima Ba', site: 'SAINT_LOUIS' });
    expect(routing(response)).toEqual([{ subgraph: 'regions', site: 'saint-louis' }]);
  });

  it('an unknown client is asked of one site only, which answers null to an admin', async () => {
    const response = await routed<{ client: null }>('{ client(id: "987654") { name } }');
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ client: null });
    expect(regionFetches(response)).toHaveLength(1);
  });

  it('clients(city) reaches only the site serving the city', async () => {
    const response = await routed<{ clients: ClientRow[] }>('{ clients(city: "Thiès") { id city site } }');
    expect(response.errors).toBeUndefined();
    expect(response.data!.clients.length).toBeGreaterThan(0);
    for (const client of response.data!.clients) expect(client).toMatchObject({ city: 'Thiès', site: 'THIES' });
    expect(routing(response)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
  });

  it('clients(site) reaches only that site', async () => {
    const response = await routed<{ clients: ClientRow[] }>('query($s: Site) { clients(site: $s) { site } }', { s: 'SAINT_LOUIS' });
    expect(new Set(response.data!.clients.map((c) => c.site))).toEqual(new Set(['SAINT_LOUIS']));
    expect(routing(response)).toEqual([{ subgraph: 'regions', site: 'saint-louis' }]);
  });

  it('clients without argument returns every client exactly once', async () => {
    const response = await routed<{ clients: ClientRow[] }>('{ clients { id } }');
    expect(response.errors).toBeUndefined();
    const ids = response.data!.clients.map((c) => c.id);
    expect(ids.length).toBeGreaterThanOrEqual(50);
    expect(new Set(ids).size).toBe(ids.length);
    const global = await sql<{ id: string | number }>('coordinator', 'SELECT id FROM client');
    expect([...ids].sort()).toEqual(global.map((r) => String(r.id)).sort());
    expect(regionFetches(response).map((r) => r.site).sort()).toEqual(['dakar', 'saint-louis', 'thies']);
  });

  it('x-client-city does not narrow clients without argument: every site’s clients, as without the header', async () => {
    const plain = await routed<{ clients: ClientRow[] }>('{ clients { id site } }');
    const located = await routed<{ clients: ClientRow[] }>('{ clients { id site } }', {}, { 'x-client-city': 'Kaolack' });
    expect(located.errors).toBeUndefined();
    expect(located.data).toEqual(plain.data);
    expect(new Set(located.data!.clients.map((c) => c.site))).toEqual(new Set(['DAKAR', 'THIES', 'SAINT_LOUIS']));
  });

  it('x-client-city chooses the site of a field every site answers alike', async () => {
    const response = await routed<{ siteForCity: string | null }>('{ siteForCity(city: "Atlantis") }', {}, { 'x-client-city': 'Saint-Louis' });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNKNOWN_CITY');
    expect(regionFetches(response)).toEqual([{ subgraph: 'regions', site: 'saint-louis' }]);
  });

  it('a variable’s default value routes like the literal', async () => {
    const byDefault = await routed<{ clients: ClientRow[] }>('query($s: Site = THIES) { clients(site: $s) { id site } }');
    const literal = await routed<{ clients: ClientRow[] }>('{ clients(site: THIES) { id site } }');
    expect(byDefault.errors).toBeUndefined();
    expect(byDefault.data).toEqual(literal.data);
    expect(regionFetches(byDefault)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
  });

  it('aliased root fields of one fetch go each to its own site and come back in order', async () => {
    const response = await routed<Record<'a' | 'b' | 'c', ClientRow>>(
      '{ a: client(id: "1") { name city site } b: client(id: "2") { name city site } c: client(id: "3") { name city site } }',
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      a: { name: 'Mamadou Ndiaye', city: 'Dakar', site: 'DAKAR' },
      b: { name: 'Awa Diop', city: 'Thiès', site: 'THIES' },
      c: { name: 'Ibrahima Ba', city: 'Saint-Louis', site: 'SAINT_LOUIS' },
    });
    expect(regionFetches(response).map((r) => r.site).sort()).toEqual(['dakar', 'saint-louis', 'thies']);
  });

  it('siteForCity goes to the city’s site; an unknown city is refused by one site', async () => {
    const known = await routed<{ siteForCity: string }>('{ siteForCity(city: "Kaolack") }');
    expect(known.data).toEqual({ siteForCity: 'THIES' });
    expect(routing(known)).toEqual([{ subgraph: 'regions', site: 'thies' }]);
    const unknown = await routed<{ siteForCity: string }>('{ siteForCity(city: "Atlantis") }');
    expect(unknown.errors?.[0]).toMatchObject({ path: ['siteForCity'], extensions: { code: 'UNKNOWN_CITY' } });
    expect(regionFetches(unknown)).toHaveLength(1);
  });

  it('order(id) asks every site, since order ids do not name their site', async () => {
    const response = await routed<{ order: null }>('{ order(id: "00000000-0000-0000-0000-000000000000") { id } }');
    expect(response.data).toEqual({ order: null });
    expect(regionFetches(response).map((r) => r.site).sort()).toEqual(['dakar', 'saint-louis', 'thies']);
  });

  it('the routing log is only there when asked for', async () => {
    const response = (await graphql('{ client(id: "2") { name } }', {}, { headers: ADMIN })) as GraphQLResponse & { extensions?: Record<string, unknown> };
    expect(response.extensions?.routing).toBeUndefined();
  });
});

describe('the gateway’s HTTP surface', () => {
  it('returns the caller’s request id, or a new one', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(serviceUrl('gateway'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    expect((await post({ 'x-request-id': 'test-req-42' })).headers.get('x-request-id')).toBe('test-req-42');
    expect((await post({})).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves /health and /ready without CSRF headers, and Apollo Sandbox on GET /graphql', async () => {
    const health = await fetch(`${gatewayOrigin()}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${gatewayOrigin()}/ready`);
    expect(ready.status).toBe(200);
    const sandbox = await fetch(serviceUrl('gateway'), { headers: { accept: 'text/html' } });
    expect(sandbox.status).toBe(200);
    expect(await sandbox.text()).toContain('embeddable-sandbox');
  });

  it('refuses a GraphQL GET without a CSRF-safe header', async () => {
    const response = await fetch(`${serviceUrl('gateway')}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
  });
});

/** Fields and types marked @inaccessible in the subgraph SDLs. */
function inaccessibleElements(): { types: Set<string>; fields: Set<string> } {
  const types = new Set<string>();
  const fields = new Set<string>();
  for (const name of ['products', 'regions', 'orders']) {
    const document = parse(readFileSync(path.join(topology.root, 'schema', `${name}.graphql`), 'utf8'));
    const hidden = (node: { directives?: readonly { name: { value: string } }[] }) =>
      node.directives?.some((d) => d.name.value === 'inaccessible') ?? false;
    visit(document, {
      enter(node) {
        if (!('name' in node) || !node.name || !('directives' in node)) return;
        if (
          (node.kind === Kind.OBJECT_TYPE_DEFINITION || node.kind === Kind.OBJECT_TYPE_EXTENSION || node.kind === Kind.ENUM_TYPE_DEFINITION || node.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) &&
          hidden(node)
        ) {
          types.add(node.name.value);
        }
        if (node.kind === Kind.OBJECT_TYPE_DEFINITION || node.kind === Kind.OBJECT_TYPE_EXTENSION) {
          const type = node as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
          for (const field of type.fields ?? []) if (hidden(field)) fields.add(`${type.name.value}.${field.name.value}`);
        }
      },
    });
  }
  return { types, fields };
}

describe('the public schema', () => {
  it('introspection shows the public API and none of the @inaccessible elements', async () => {
    const response = await graphql<{ __schema: { types: { name: string; fields: { name: string }[] | null }[] } }>(
      '{ __schema { types { name fields(includeDeprecated: true) { name } } } }',
    );
    expect(response.errors).toBeUndefined();
    const types = response.data!.__schema.types;
    const fieldsOf = (name: string) => types.find((t) => t.name === name)?.fields?.map((f) => f.name) ?? [];
    expect(fieldsOf('Query')).toEqual(expect.arrayContaining(['product', 'products', 'client', 'clients', 'siteForCity', 'order']));
    expect(fieldsOf('Mutation')).toEqual(expect.arrayContaining(['placeOrder', 'restock']));
    expect(fieldsOf('Product')).toEqual(expect.arrayContaining(['id', 'name', 'price', 'stock', 'inventory']));

    const hidden = inaccessibleElements();
    const shown = new Set(types.flatMap((t) => [t.name, ...(t.fields ?? []).map((f) => `${t.name}.${f.name}`)]));
    for (const element of [...hidden.types, ...hidden.fields]) expect(shown.has(element), element).toBe(false);
    expect([...shown].filter((s) => s.startsWith('join__') || s.startsWith('link__'))).toEqual([]);
  });

  it('refuses to run an @inaccessible root field', async () => {
    const hidden = [...inaccessibleElements().fields].find((f) => f.startsWith('Query.'));
    if (!hidden) return;
    const response = await graphql(`{ ${hidden.slice('Query.'.length)} { __typename } }`);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringContaining('Cannot query field'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('each subgraph answers _service { sdl }', async () => {
    const subgraphs = topology.services.filter((s) => s.kind === 'subgraph');
    const sdls = await Promise.all(
      subgraphs.map(async (s) => {
        const response = await graphql<{ _service: { sdl: string } }>('{ _service { sdl } }', {}, { url: s.url });
        expect(response.errors, s.name).toBeUndefined();
        return [s.name, response.data!._service.sdl] as const;
      }),
    );
    for (const [name, sdl] of sdls) expect(sdl, name).toMatch(/type Query/);
    const regionSdls = new Set(sdls.filter(([name]) => name.startsWith('region-')).map(([, sdl]) => sdl));
    expect(regionSdls.size).toBe(1);
  });
});

describe('a site that is down', () => {
  beforeAll(async () => {
    await stopService(topology, 'region-saint-louis');
    await copiesNoticedStop('saint-louis');
  });

  afterAll(async () => {
    // starts only what is not running
    await up(topology);
  }, 180_000);

  it('clients without argument: the other sites’ clients, and SITE_UNAVAILABLE at ["clients"]', async () => {
    const response = await routed<{ clients: ClientRow[] }>('{ clients { id site } }');
    const sites = new Set(response.data!.clients.map((c) => c.site));
    expect(sites).toEqual(new Set(['DAKAR', 'THIES']));
    const expected = [
      ...(await sql<{ id: string | number }>('dakar', 'SELECT id FROM client')),
      ...(await sql<{ id: string | number }>('thies', 'SELECT id FROM client')),
    ].map((r) => String(r.id));
    expect(response.data!.clients.map((c) => c.id).sort()).toEqual(expected.sort());
    expect(response.errors).toEqual([
      expect.objectContaining({ path: ['clients'], extensions: expect.objectContaining({ code: 'SITE_UNAVAILABLE', site: 'SAINT_LOUIS' }) }),
    ]);
  });

  it('entities: each product’s Saint-Louis stock is null with SITE_UNAVAILABLE at its path, the rest is there', async () => {
    const response = await graphql<{ products: { id: string; inventory: ({ site: string; quantity: number } | null)[] }[] }>(
      '{ products(limit: 5) { id inventory { site quantity } } }',
    );
    const products = response.data!.products;
    expect(products).toHaveLength(5);
    const errors = response.errors ?? [];
    expect(errors).toHaveLength(products.length);
    for (const error of errors) {
      expect(error.extensions).toMatchObject({ code: 'SITE_UNAVAILABLE', site: 'SAINT_LOUIS' });
      const [root, p, field, i] = error.path!;
      expect([root, field]).toEqual(['products', 'inventory']);
      expect(products[p as number]!.inventory[i as number]).toBeNull();
    }
    for (const product of products) {
      const present = product.inventory.filter((l) => l !== null);
      expect(present.map((l) => l!.site).sort()).toEqual(['DAKAR', 'THIES']);
    }
  });

  it('a client at a site that is up is still served', async () => {
    const response = await routed<Record<'a' | 'c', { name: string } | null>>('{ a: client(id: "1") { name } c: client(id: "3") { name } }');
    expect(response.data).toEqual({ a: { name: 'Mamadou Ndiaye' }, c: null });
    expect(response.errors).toEqual([
      expect.objectContaining({ path: ['c'], extensions: expect.objectContaining({ code: 'SITE_UNAVAILABLE' }) }),
    ]);
  });

  it('/ready names the process that does not answer', async () => {
    const ready = await fetch(`${gatewayOrigin()}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ failed: [expect.objectContaining({ service: 'region-saint-louis' })] });
  });
});
