/**
 * The gateway's limits on what one operation may ask (depth, cost, aliases, list lengths) refuse an
 * operation before any subgraph is called: the routing log of `x-teranga-debug-routing: 1` lists no
 * fetch, and no subgraph's log holds the request id. No stack trace reaches a caller unless the
 * gateway runs with TERANGA_DEBUG=1; outside development no introspection nor field suggestion.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSecrets } from '../cluster/secrets.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { createGateway } from '../gateway/server.ts';
import { DEFAULT_QUERY_LIMITS } from '../gateway/query-limits.ts';
import { graphql, topology, type GraphQLResponse } from './support/cluster.ts';
import { logsCaughtUp, servicesThatSaw } from './support/logs.ts';
import { quietLogger } from './support/quiet-logger.ts';
import { asAdmin, testTokenVerifier } from './support/tokens.ts';

type Routed = GraphQLResponse & { extensions?: { routing?: unknown[] } };

async function traced(query: string, variables: Record<string, unknown> = {}): Promise<{ response: Routed; requestId: string }> {
  const requestId = `limits-${randomUUID()}`;
  const response = (await graphql(query, variables, {
    headers: { ...(await asAdmin()), 'x-teranga-debug-routing': '1', 'x-request-id': requestId },
  })) as Routed;
  await logsCaughtUp();
  return { response, requestId };
}

/** `order { client { orders { client { orders … id } } } } }`: depth 2 × pairs + 2. */
const deep = (pairs: number) => `query($o: ID!) { order(id: $o) { ${'client { orders { '.repeat(pairs)}id${' } }'.repeat(pairs)} } }`;
const ORDER = { o: '00000000-0000-4000-8000-000000000000' };

describe('limits refuse an operation before any subgraph is called', () => {
  it('a query within the limits is served, and the subgraphs it reached logged its request id', async () => {
    const { response, requestId } = await traced(deep(3), ORDER);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.extensions?.routing?.length).toBeGreaterThan(0);
    expect(servicesThatSaw(requestId)).toEqual(expect.arrayContaining(['gateway', 'region-dakar', 'region-saint-louis', 'region-thies']));
  });

  it.each([
    ['depth', deep(4)],
    ['depth, far past', deep(40)],
    ['cost', `{ ${Array.from({ length: 15 }, (_, i) => `c${i}: client(id: "${i + 1}") { id name city email site orders { id status total createdAt lines { product { id name price description } quantity unitPrice site } payment { status method amount reference } } }`).join(' ')} }`],
    ['aliases', `{ ${Array.from({ length: DEFAULT_QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: siteForCity(city: "Dakar")`).join(' ')} }`],
  ])('past the %s limit: 400 QUERY_TOO_COMPLEX, no fetch, no subgraph saw it', async (_limit, query) => {
    const { response, requestId } = await traced(query, query.includes('$o') ? ORDER : {});
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.map((e) => e.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
    expect(response.extensions?.routing ?? []).toEqual([]);
    expect(servicesThatSaw(requestId)).toEqual(['gateway']);
  });

  it('past the list-length limit: an order of 101 lines never reaches the coordinator', async () => {
    const items = Array.from({ length: DEFAULT_QUERY_LIMITS.maxListLength + 1 }, () => ({ productId: '101', quantity: 1 }));
    const { response, requestId } = await traced('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } } }', {
      i: { clientId: '1', items },
    });
    expect(response.status).toBe(400);
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(servicesThatSaw(requestId)).toEqual(['gateway']);
  });
});

describe('a production gateway', () => {
  let production: RunningServer;

  beforeAll(async () => {
    const gateway = await createGateway({
      topology,
      config: { internalSecret: localSecrets(topology).TERANGA_INTERNAL_SECRET },
      tokenVerifier: testTokenVerifier(),
      development: false,
      logger: quietLogger('gateway'),
    });
    production = await gateway.listen(0);
  });

  afterAll(async () => {
    await production?.stop();
  });

  it('answers errors without stack traces, as development does (only TERANGA_DEBUG=1 shows them)', async () => {
    const broken = '{ products(limit: 1) { id }';
    const dev = await graphql(broken);
    expect(dev.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(JSON.stringify(dev)).not.toContain('stacktrace');
    const prod = await graphql(broken, {}, { url: production.url });
    expect(prod.status).toBe(400);
    expect(prod.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(JSON.stringify(prod)).not.toContain('stacktrace');
    const served = await graphql<{ products: unknown[] }>('{ products(limit: 2) { id stock } }', {}, { url: production.url });
    expect(served.errors).toBeUndefined();
    expect(served.data!.products).toHaveLength(2);
  });

  it('refuses introspection and hides field suggestions', async () => {
    const introspection = await graphql('{ __schema { types { name } } }', {}, { url: production.url });
    expect(introspection.status).toBe(400);
    const typo = await graphql('{ prodcts { id } }', {}, { url: production.url });
    expect(typo.errors?.[0]?.message).not.toContain('products');
  });
});
