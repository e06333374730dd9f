/**
 * Who may read and change what, through the gateway and straight at the subgraphs: the catalogue
 * is public; a customer token reads and orders for its own client only; restocking, moving clients
 * and reading other clients need the admin role; tokens that are expired, tampered with or signed
 * by another key are refused; and a subgraph trusts no identity it cannot verify itself.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSecrets } from '../cluster/secrets.ts';
import { issueToken } from '../lib/auth/token-issuer.ts';
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { gatewayOrigin, graphql, internalHeaders, recoverySettings, serviceUrl, topology, type GraphQLResponse } from './support/cluster.ts';
import { fingerprint } from './support/invariants.ts';
import { asAdmin, asCustomer, bearer, customerToken, mintToken } from './support/tokens.ts';

const PLACE_ORDER = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id site } error { code message } } }`;
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
const RESTOCK = 'mutation { restock(productId: "166", site: DAKAR, quantity: 5) { quantity } }';

const codes = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((e) => e.extensions?.code);

/** client 1 lives in Dakar, client 2 in Thiès; each gets one order of its own. */
const orders: { one?: string; two?: string } = {};

async function place(clientId: string, headers: Record<string, string>) {
  return graphql<{ placeOrder: { order: { id: string } | null; error: { code: string } | null } }>(
    PLACE_ORDER,
    { i: { clientId, items: [{ productId: '110', quantity: 1 }] } },
    { headers },
  );
}

beforeAll(async () => {
  for (const [key, clientId] of [['one', '1'], ['two', '2']] as const) {
    const response = await place(clientId, await asCustomer(clientId));
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    orders[key] = response.data!.placeOrder.order!.id;
  }
});

afterAll(async () => {
  // the stock goes back to the warehouses for the suites that follow
  for (const id of Object.values(orders)) await graphql(CANCEL, { id }, { headers: await asAdmin() });
});

describe('without a token', () => {
  it('the catalogue answers, over GraphQL and REST, and siteForCity too', async () => {
    const response = await graphql<{ products: { id: string; stock: number }[]; siteForCity: string }>(
      '{ products(limit: 3) { id name price stock } siteForCity(city: "Kaolack") }',
    );
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data!.products).toHaveLength(3);
    expect(response.data!.siteForCity).toBe('THIES');
    const rest = await fetch(`${gatewayOrigin()}/api/products/101`);
    expect(rest.status).toBe(200);
  });

  it('orders, clients and restocking are refused with UNAUTHENTICATED, and nothing changes', async () => {
    const before = await fingerprint();
    const placed = await place('1', {});
    expect(placed.data ?? null).toBeNull();
    expect(codes(placed)).toEqual(['UNAUTHENTICATED']);
    for (const query of [
      '{ client(id: "1") { name } }',
      `{ order(id: "${orders.one}") { id } }`,
      '{ clients { id } }',
    ]) {
      const response = await graphql(query);
      expect(codes(response), query).toContain('UNAUTHENTICATED');
      expect(JSON.stringify(response.data ?? null), query).not.toContain('Mamadou');
    }
    expect(codes(await graphql(CANCEL, { id: orders.one }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await graphql(RESTOCK, {}, { headers: { 'x-client-city': 'Dakar' } }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await graphql('mutation { moveClient(id: "1", city: "Thiès") { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect(await fingerprint()).toBe(before);
  });
});

describe('a customer token', () => {
  it('reads its own client record and orders, through client, order and Client.orders', async () => {
    const headers = await asCustomer('2');
    const response = await graphql<{ client: { name: string; orders: { id: string; client: { id: string } }[] }; order: { id: string } }>(
      'query($o: ID!) { client(id: "2") { name orders { id client { id } } } order(id: $o) { id } }',
      { o: orders.two },
      { headers },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.client.name).toBe('Awa Diop');
    expect(response.data!.client.orders.map((o) => o.id)).toContain(orders.two);
    expect(response.data!.order.id).toBe(orders.two);
  });

  it('cannot read another client: client(id), clients and Client.orders are FORBIDDEN', async () => {
    const headers = await asCustomer('2');
    const other = await graphql<{ client: unknown }>('{ client(id: "1") { name email orders { id } } }', {}, { headers });
    expect(other.data).toEqual({ client: null });
    expect(codes(other)).toEqual(['FORBIDDEN']);
    const all = await graphql('{ clients { id name } }', {}, { headers });
    expect(all.data ?? null).toBeNull();
    expect(new Set(codes(all))).toEqual(new Set(['FORBIDDEN']));
    const bySite = await graphql('{ clients(site: THIES) { id name } }', {}, { headers });
    expect(codes(bySite)).toEqual(['FORBIDDEN']);
    // Client entities straight at the region: the orders of client 1 stay hidden there too
    const entities = await graphql<{ _entities: unknown[] }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Client { id orders { id } } } }',
      { r: [{ __typename: 'Client', id: '1' }] },
      { url: serviceUrl('region-dakar'), headers },
    );
    expect(entities.data?._entities).toEqual([null]);
    expect(codes(entities)).toEqual(['FORBIDDEN']);
  });

  it('cannot read another client’s order by id', async () => {
    const response = await graphql<{ order: unknown }>('query($o: ID!) { order(id: $o) { id total client { name } } }', { o: orders.one }, {
      headers: await asCustomer('2'),
    });
    expect(response.data).toEqual({ order: null });
    expect(codes(response)).toContain('FORBIDDEN');
  });

  it('cannot order or cancel for someone else, restock or move a client; nothing changes', async () => {
    const headers = await asCustomer('2');
    const before = await fingerprint();
    const placed = await place('1', headers);
    expect(placed.data ?? null).toBeNull();
    expect(codes(placed)).toEqual(['FORBIDDEN']);
    const cancelled = await graphql(CANCEL, { id: orders.one }, { headers });
    expect(codes(cancelled)).toEqual(['FORBIDDEN']);
    const restocked = await graphql(RESTOCK, {}, { headers });
    expect(codes(restocked)).toEqual(['FORBIDDEN']);
    const moved = await graphql('mutation { moveClient(id: "2", city: "Dakar") { id } }', {}, { headers });
    expect(codes(moved)).toEqual(['FORBIDDEN']);
    // straight at the coordinator, the same refusal
    const direct = await graphql(PLACE_ORDER, { i: { clientId: '1', items: [{ productId: '110', quantity: 1 }] } }, { url: serviceUrl('orders'), headers });
    expect(codes(direct)).toEqual(['FORBIDDEN']);
    expect(await fingerprint()).toBe(before);
  });

  it('may sign up without a token, and an admin may read any client', async () => {
    const email = `signup.${Date.now()}@example.com`;
    const registered = await graphql<{ registerClient: { id: string } }>(
      'mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }',
      { i: { name: 'Fatou Sow', city: 'Louga', email } },
    );
    expect(registered.errors).toBeUndefined();
    const id = registered.data!.registerClient.id;
    const self = await graphql<{ client: { city: string } }>(`{ client(id: "${id}") { city } }`, {}, { headers: await asCustomer(id) });
    expect(self.data?.client.city).toBe('Louga');
    const admin = await graphql<{ client: { name: string }; clients: unknown[] }>(
      '{ client(id: "1") { name } clients(site: DAKAR) { id } }',
      {},
      { headers: await asAdmin() },
    );
    expect(admin.errors).toBeUndefined();
    expect(admin.data!.client.name).toBe('Mamadou Ndiaye');
    expect(admin.data!.clients.length).toBeGreaterThan(0);
  });
});

/** A token whose payload was edited after signing: the signature no longer matches. */
function tampered(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe('tokens that must not pass', () => {
  const now = () => Math.floor(Date.now() / 1000);

  async function badTokens(): Promise<Record<string, string>> {
    const { privateKey } = generateKeyPairSync('ed25519');
    const foreignKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const valid = await customerToken('2');
    const claims = { sub: '1', role: 'admin', iss: 'teranga', aud: 'teranga-api', exp: now() + 600 };
    return {
      expired: await mintToken({ role: 'customer', clientId: '2' }, { now: now() - 7200, ttlSeconds: 60 }),
      'tampered role': tampered(valid, (c) => {
        c.role = 'admin';
      }),
      'tampered subject': tampered(valid, (c) => {
        c.sub = '1';
      }),
      'signed by another key': await issueToken({ privateKey: foreignKey, issuer: 'teranga', audience: 'teranga-api' }, { role: 'admin', subject: 'mallory' }),
      'alg none': unsigned(claims),
      'another audience': await issueToken(
        { privateKey: localSecrets(topology).TERANGA_JWT_PRIVATE_KEY, issuer: 'teranga', audience: 'someone-else' },
        { role: 'admin', subject: 'x' },
      ),
      'not a token': 'abc.def.ghi',
    };
  }

  it('the gateway refuses each with 401 UNAUTHENTICATED, even for the catalogue', async () => {
    for (const [name, token] of Object.entries(await badTokens())) {
      const response = await graphql('{ products(limit: 1) { id } }', {}, { headers: bearer(token) });
      expect(response.status, name).toBe(401);
      expect(codes(response), name).toEqual(['UNAUTHENTICATED']);
      const rest = await fetch(`${gatewayOrigin()}/api/products/101`, { headers: bearer(token) });
      expect(rest.status, name).toBe(401);
      expect(((await rest.json()) as { error: { code: string } }).error.code, name).toBe('UNAUTHENTICATED');
    }
    const basic = await graphql('{ products(limit: 1) { id } }', {}, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(basic.status).toBe(401);
  });

  it('each subgraph refuses them too when called straight at its port', async () => {
    const tokens = await badTokens();
    for (const service of ['region-dakar', 'orders', 'products-subgraph'] as const) {
      for (const [name, token] of Object.entries(tokens)) {
        const response = await graphql('{ __typename }', {}, { url: serviceUrl(service), headers: bearer(token) });
        expect(response.status, `${service}: ${name}`).toBe(401);
        expect(codes(response), `${service}: ${name}`).toEqual(['UNAUTHENTICATED']);
      }
    }
  });
});

describe('trust between services', () => {
  it('a subgraph trusts no identity header: a forged user or role reads nothing', async () => {
    const forged = { 'x-user-id': '1', 'x-teranga-role': 'admin', 'x-teranga-user': 'admin', 'x-forwarded-user': '1' };
    const response = await graphql('{ client(id: "1") { name email } }', {}, { url: serviceUrl('region-dakar'), headers: forged });
    expect(response.data).toEqual({ client: null });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('the participant API refuses a caller without the internal secret, whatever its token', async () => {
    const before = await fingerprint();
    const work = JSON.stringify({ gid: null, orderId: null, motif: null, stock: [{ productId: 101, delta: 1000 }] });
    const mutation = 'mutation($w: String!) { _commitLocal(work: $w) { ok code } }';
    for (const headers of [{}, await asAdmin(), { [INTERNAL_SECRET_HEADER]: 'not-the-secret-but-long-enough' }]) {
      const response = await graphql(mutation, { w: work }, { url: serviceUrl('region-dakar'), headers });
      expect(response.data ?? null).toBeNull();
      expect(codes(response)).toEqual(['FORBIDDEN']);
    }
    const inDoubt = await graphql('{ _inDoubt { gid } }', {}, { url: serviceUrl('region-thies'), headers: await asAdmin() });
    expect(codes(inDoubt)).toEqual(['FORBIDDEN']);
    const directory = await fetch(serviceUrl('orders').replace('/graphql', '/internal/client-sites'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asAdmin()) },
      body: JSON.stringify({ ids: ['1'] }),
    });
    expect(directory.status).toBe(403);
    expect(await fingerprint()).toBe(before);
  });

  it('every operator endpoint of the coordinator refuses a caller without the internal secret, and changes nothing', async () => {
    const base = serviceUrl('orders').replace('/graphql', '');
    const endpoints: [string, string, unknown][] = [
      ['POST', '/internal/client-sites', { ids: ['1'] }],
      ['POST', '/internal/recover', {}],
      ['GET', '/internal/recovery', undefined],
      ['POST', '/internal/recovery', { intervalMs: 100 }],
      ['POST', '/internal/fault', { point: 'after-prepare' }],
      ['GET', '/internal/concurrency', undefined],
      ['POST', '/internal/concurrency', { strategy: 'none' }],
      // an unknown name tells an outsider nothing either
      ['GET', '/internal/no-such-endpoint', undefined],
    ];
    const strategyNow = async () => ((await (await fetch(`${base}/internal/concurrency`, { headers: internalHeaders() })).json()) as { strategy: string }).strategy;
    const settings = await recoverySettings();
    const strategy = await strategyNow();
    for (const headers of [{}, await asAdmin(), { [INTERNAL_SECRET_HEADER]: 'not-the-secret-but-long-enough' }]) {
      for (const [method, route, body] of endpoints) {
        const response = await fetch(`${base}${route}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect([route, response.status]).toEqual([route, 403]);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      }
    }
    expect(await recoverySettings()).toEqual(settings);
    expect(await strategyNow()).toBe(strategy);
  });

  it('an internal caller with the secret is trusted for the participant API and the reads the coordinator makes', async () => {
    const secret = internalHeaders();
    const inDoubt = await graphql<{ _inDoubt: unknown[] }>('{ _inDoubt { gid } }', {}, { url: serviceUrl('region-thies'), headers: secret });
    expect(inDoubt.errors).toBeUndefined();
    const order = await graphql<{ order: { client: { id: string } } }>(
      'query($o: ID!) { order(id: $o) { client { id } } }',
      { o: orders.two },
      { url: serviceUrl('region-thies'), headers: secret },
    );
    expect(order.data?.order.client.id).toBe('2');
  });
});
