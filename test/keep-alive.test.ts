/**
 * Keep-alive on every service-to-service hop: N sequential requests from one client to one
 * server reuse their TCP connections, counted by the server (real HTTP, no timing). A client that
 * opened a connection per request would pay a TCP handshake on each hop of each order.
 *
 * Node's fetch (undici) may open a second connection when the next request is dispatched before
 * the previous answer's socket is back in its pool; both are reused afterwards, so the bound is
 * two connections, whatever N.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../lib/auth/token-verifier.ts';
import { PaymentsClient } from '../lib/payments/client.ts';
import { buildTopology, type NodeService, type ServiceName, type Topology } from '../lib/topology.ts';
import { createGateway } from '../gateway/server.ts';
import { SiteClient } from '../subgraphs/orders/site-client.ts';
import { forwardingTo, startCountingServer, type CountingServer } from './support/counting-proxy.ts';
import { serveSupergraph, type ServedSupergraph } from './support/foreign-supergraphs.ts';
import { quietLogger } from './support/quiet-logger.ts';

const N = 10;
const MAX_CONNECTIONS = 2;
const SECRET = 'keep-alive-internal-secret';

/** The topology with one service answering at `url` (an origin) instead of its own port. */
function pointing(name: ServiceName, url: string, path: string): Topology {
  const topology = buildTopology();
  const port = Number(new URL(url).port);
  return { ...topology, services: topology.services.map((s): NodeService => (s.name === name ? { ...s, port, url: `${url}${path}` } : s)) };
}

describe(`${N} sequential requests, at most ${MAX_CONNECTIONS} TCP connections`, () => {
  const servers: CountingServer[] = [];
  let served: ServedSupergraph;

  beforeAll(async () => {
    served = await serveSupergraph('shop');
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await served?.stop();
  });

  async function counting(answer: Parameters<typeof startCountingServer>[0]) {
    const server = await startCountingServer(answer);
    servers.push(server);
    return server;
  }

  it('gateway → subgraph (the data sources\' fetcher)', async () => {
    const products = await counting(forwardingTo(new URL(served.urls.products!).origin));
    const gateway = await createGateway({
      topology: buildTopology(),
      supergraphSdl: served.supergraphSdl,
      subgraphUrls: { products: `${products.url}/graphql` },
      entityCache: { subgraphs: [], ttlMs: 0 },
      config: { internalSecret: SECRET },
      tokenVerifier: createTokenVerifier({ verificationKey: generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(), issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE }),
      development: false,
      logger: quietLogger('gateway'),
    });
    const running = await gateway.listen(0);
    try {
      for (let i = 0; i < N; i++) {
        const response = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ topProducts { upc name } }' }) });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    } finally {
      await running.stop();
    }
    expect(products.requests.length).toBe(N);
    expect(products.connections()).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });

  it('orders → a regional participant (SiteClient)', async () => {
    const region = await counting(() => ({ status: 200, body: { data: { _decision: null } } }));
    const client = new SiteClient({ topology: pointing('region-dakar', region.url, '/graphql'), secret: SECRET, timeoutMs: 5_000 });
    for (let i = 0; i < N; i++) expect(await client.decision('dakar', `g${i}`)).toBeNull();
    expect(region.requests.length).toBe(N);
    expect(region.connections()).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });

  it('a site → the payment provider (PaymentsClient)', async () => {
    const payments = await counting(() => ({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such payment' } } }));
    const client = new PaymentsClient({ topology: pointing('payments', payments.url, ''), secret: SECRET });
    for (let i = 0; i < N; i++) expect(await client.byReference(`p${i}`)).toBeNull();
    expect(payments.requests.length).toBe(N);
    expect(payments.connections()).toBeLessThanOrEqual(MAX_CONNECTIONS);
  });
});
