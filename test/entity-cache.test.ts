/**
 * The gateway's entity cache (gateway/entity-cache.ts): the clock, the bound and the copies as
 * pure logic; then through the gateway over real HTTP, the number of fetches that reach the cached
 * subgraph, counted at a server in front of it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../lib/auth/token-verifier.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { buildTopology } from '../lib/topology.ts';
import { EntityCache } from '../gateway/entity-cache.ts';
import { createGateway } from '../gateway/server.ts';
import { forwardingTo, startCountingServer, type CountingServer } from './support/counting-proxy.ts';
import { serveSupergraph, type ServedSupergraph } from './support/foreign-supergraphs.ts';
import { quietLogger } from './support/quiet-logger.ts';

describe('EntityCache', () => {
  const counting = () => {
    let calls = 0;
    return { fetch: async () => ({ n: ++calls, items: [{ id: 1 }] }), calls: () => calls };
  };
  const always = () => true;

  it('answers from memory until ttlMs has passed, then fetches again', async () => {
    let now = 1_000;
    const cache = new EntityCache<{ n: number }>({ ttlMs: 2_000, now: () => now });
    const source = counting();
    expect((await cache.get('k', source.fetch, always)).n).toBe(1);
    now += 1_999;
    expect((await cache.get('k', source.fetch, always)).n).toBe(1);
    now += 1;
    expect((await cache.get('k', source.fetch, always)).n).toBe(2);
    expect(source.calls()).toBe(2);
  });

  it('lets concurrent misses of one key share one fetch', async () => {
    const cache = new EntityCache<{ n: number }>({ ttlMs: 60_000 });
    const source = counting();
    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.get('k', source.fetch, always)));
    expect(source.calls()).toBe(1);
    expect(new Set(answers.map((a) => a.n))).toEqual(new Set([1]));
  });

  it('hands every caller its own copy, so what one request merges in never reaches the next', async () => {
    const cache = new EntityCache<{ items: Record<string, unknown>[] }>({ ttlMs: 60_000 });
    const source = counting();
    const first = await cache.get('k', source.fetch, always);
    first.items[0]!.stock = 7;
    const second = await cache.get('k', source.fetch, always);
    expect(second.items[0]).toEqual({ id: 1 });
    expect(source.calls()).toBe(1);
  });

  it('keeps no answer its predicate refuses (errors), and none when ttlMs is 0', async () => {
    const refusing = new EntityCache<{ n: number }>({ ttlMs: 60_000 });
    const source = counting();
    await refusing.get('k', source.fetch, () => false);
    await refusing.get('k', source.fetch, () => false);
    expect(source.calls()).toBe(2);
    const off = new EntityCache<{ n: number }>({ ttlMs: 0 });
    await off.get('k', source.fetch, always);
    await off.get('k', source.fetch, always);
    expect(source.calls()).toBe(4);
    expect(off.size).toBe(0);
  });

  it('drops the least recently used answer beyond maxEntries', async () => {
    const cache = new EntityCache<{ n: number }>({ ttlMs: 60_000, maxEntries: 2 });
    const source = counting();
    await cache.get('a', source.fetch, always);
    await cache.get('b', source.fetch, always);
    await cache.get('a', source.fetch, always); // a is now the most recent
    await cache.get('c', source.fetch, always); // drops b
    expect(cache.size).toBe(2);
    await cache.get('a', source.fetch, always);
    expect(source.calls()).toBe(3);
    await cache.get('b', source.fetch, always);
    expect(source.calls()).toBe(4);
  });
});

const keys = (() => {
  const { publicKey } = generateKeyPairSync('ed25519');
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
})();

async function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: unknown; errors?: unknown[] };
}

describe('the gateway with an entity cache on one subgraph (the shop supergraph, real HTTP)', () => {
  let served: ServedSupergraph;
  let products: CountingServer;
  const gateways: RunningServer[] = [];

  async function gatewayWith(ttlMs: number): Promise<RunningServer> {
    const gateway = await createGateway({
      topology: buildTopology(),
      supergraphSdl: served.supergraphSdl,
      subgraphUrls: { products: `${products.url}/graphql` },
      entityCache: { subgraphs: ['products'], ttlMs },
      config: { internalSecret: 'entity-cache-internal-secret' },
      tokenVerifier: createTokenVerifier({ verificationKey: keys.publicPem, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE }),
      development: false,
      logger: quietLogger('gateway'),
    });
    const running = await gateway.listen(0);
    gateways.push(running);
    return running;
  }

  beforeAll(async () => {
    served = await serveSupergraph('shop');
    products = await startCountingServer(forwardingTo(new URL(served.urls.products!).origin));
  });

  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await products?.stop();
    await served?.stop();
  });

  const CATALOG = '{ topProducts { upc name price inStock } }';

  it('a repeated catalogue query makes no fetch to the cached subgraph; the other subgraphs are still asked', async () => {
    const gateway = await gatewayWith(60_000);
    const before = products.requests.length;
    const first = await post(gateway.url, CATALOG);
    expect(products.requests.length - before).toBe(1);
    const again = await Promise.all(Array.from({ length: 5 }, () => post(gateway.url, CATALOG)));
    expect(products.requests.length - before).toBe(1);
    for (const answer of again) expect(answer).toEqual(first);
    // the stock-like field comes from another subgraph, merged into copies of the cached products
    expect(JSON.stringify(first)).toContain('"inStock":true');
  });

  it('with ttlMs 0 every query fetches', async () => {
    const gateway = await gatewayWith(0);
    const before = products.requests.length;
    await post(gateway.url, CATALOG);
    await post(gateway.url, CATALOG);
    expect(products.requests.length - before).toBe(2);
  });
});
