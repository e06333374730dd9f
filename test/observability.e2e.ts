/**
 * Logs and metrics: one request id followed through the gateway and every service it reached,
 * Prometheus metrics on every service, and no token, secret, key or full email address in any
 * log line.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { localSecrets } from '../cluster/secrets.ts';
import { INTERNAL_SECRET_HEADER } from '../lib/config.ts';
import { createLogger, scrubLogLine } from '../lib/service/logger.ts';
import { gatewayOrigin, graphql, serviceUrl, topology } from './support/cluster.ts';
import { expectCatalogueRouting } from './support/routing.ts';
import { logsCaughtUp, serviceLogLines, serviceLogTexts, servicesThatSaw, untilServicesSaw } from './support/logs.ts';
import { until } from './support/until.ts';
import { asAdmin, asCustomer, customerToken } from './support/tokens.ts';

const metricsUrl = (service: string) => {
  const s = topology.services.find((x) => x.name === service)!;
  return `http://${s.host}:${s.port}/metrics`;
};

async function scrape(service: string): Promise<string> {
  const response = await fetch(metricsUrl(service));
  expect(response.status, service).toBe(200);
  expect(response.headers.get('content-type'), service).toMatch(/^text\/plain/);
  return response.text();
}

/** The value of one sample, e.g. `teranga_order_outcomes_total{operation="placeOrder",code="OUT_OF_STOCK"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => inner.includes(`${k}="${v}"`))) return Number(line.slice(line.indexOf('}') + 1));
  }
  return undefined;
}

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id site } error { code } } }';

describe('one request id across the services', () => {
  it('a catalogue read is logged under the caller’s id by the gateway, products and the region that read every warehouse', async () => {
    const requestId = `obs-${randomUUID()}`;
    const response: { errors?: unknown; extensions?: { routing?: { subgraph: string; site: string | null }[] } } = await graphql(
      '{ products(limit: 2) { id stock } }', {}, { headers: { 'x-request-id': requestId, 'x-teranga-debug-routing': '1' } });
    expect(response.errors).toBeUndefined();
    await logsCaughtUp();
    // No caller's city: Dakar answers every warehouse, or every site its own (expectCatalogueRouting);
    // either way every service the gateway reached logged the request under the caller's id, and no other
    const sites = (response.extensions?.routing ?? []).flatMap((f) => (f.subgraph === 'regions' && f.site ? [f.site] : []));
    expectCatalogueRouting(sites);
    expect(servicesThatSaw(requestId)).toEqual(['gateway', 'products-subgraph', ...new Set(sites.map((site) => `region-${site}`))].sort());
    const line = serviceLogLines('region-dakar').find((l) => l.requestId === requestId)!;
    expect(line).toMatchObject({ service: 'region-dakar', route: '/graphql', status: 200, caller: 'anonymous' });
  });

  it('an order keeps the id from the gateway to the coordinator and on to the sites it calls', async () => {
    const requestId = `obs-${randomUUID()}`;
    const placed = await graphql<{ placeOrder: { order: { id: string } | null } }>(
      PLACE,
      { i: { clientId: '3', items: [{ productId: '109', quantity: 1 }] } },
      { headers: { ...(await asCustomer('3')), 'x-request-id': requestId } },
    );
    expect(placed.errors).toBeUndefined();
    const saw = await untilServicesSaw(requestId, ['gateway', 'orders', 'region-saint-louis', 'products-subgraph']).catch(() => servicesThatSaw(requestId));
    expect(saw).toEqual(expect.arrayContaining(['gateway', 'orders', 'region-saint-louis', 'products-subgraph']));
    const coordinatorCalls = serviceLogLines('region-saint-louis').filter((l) => l.requestId === requestId && l.caller === 'internal');
    expect(coordinatorCalls.length).toBeGreaterThan(0);
    await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed.data!.placeOrder.order!.id }, { headers: await asAdmin() });
  });
});

describe('metrics', () => {
  it('every service serves Prometheus metrics with request latency histograms', async () => {
    for (const service of topology.services) {
      const text = await scrape(service.name);
      expect(text, service.name).toContain('# TYPE teranga_http_request_duration_seconds histogram');
      expect(text, service.name).toMatch(new RegExp(`teranga_http_request_duration_seconds_bucket\\{[^}]*service="[^"]+"`));
      expect(text, service.name).toContain('process_cpu_seconds_total');
    }
  });

  it('the coordinator counts order outcomes by code and times the phases of two-phase commit', async () => {
    const headers = await asCustomer('1');
    const before = await scrape('orders');
    const outOfStock = sample(before, 'teranga_order_outcomes_total', { operation: 'placeOrder', code: 'OUT_OF_STOCK' }) ?? 0;
    const refused = await graphql<{ placeOrder: { error: { code: string } } }>(PLACE, { i: { clientId: '1', items: [{ productId: '107', quantity: 5000 }] } }, { headers });
    expect(refused.data?.placeOrder.error.code).toBe('OUT_OF_STOCK');
    // client 1 is in Dakar; more of product 106 than Dakar holds draws on the other warehouses: two-phase commit
    const placed = await graphql<{ placeOrder: { order: { id: string } } }>(PLACE, { i: { clientId: '1', items: [{ productId: '106', quantity: 15 }] } }, { headers });
    expect(placed.errors).toBeUndefined();
    // the other sites' COMMIT PREPARED runs after the answer: its phase is recorded a moment later
    const phases = ['prepare', 'decision', 'commit'];
    const after = await until('every phase of the order to be timed', async () => {
      const text = await scrape('orders');
      return phases.every((phase) => (sample(text, 'teranga_2pc_phase_duration_seconds_count', { phase }) ?? 0) > 0) && text;
    });
    expect(sample(after, 'teranga_order_outcomes_total', { operation: 'placeOrder', code: 'OUT_OF_STOCK' })).toBe(outOfStock + 1);
    expect(sample(after, 'teranga_order_outcomes_total', { operation: 'placeOrder', code: 'CONFIRMED' })).toBeGreaterThan(0);
    for (const phase of phases) {
      expect(sample(after, 'teranga_2pc_phase_duration_seconds_count', { phase }), phase).toBeGreaterThan(0);
    }
    expect(after).toMatch(/^teranga_2pc_in_doubt_transactions \d+$/m);
    await graphql('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placed.data!.placeOrder.order.id }, { headers });
  });

  it('each region reports its standby’s replication lag, from pg_stat_replication', async () => {
    for (const site of ['dakar', 'thies', 'saint-louis']) {
      const text = await scrape(`region-${site}`);
      const seconds = sample(text, 'teranga_replication_lag_seconds', { database: site, standby: `${site}-standby` });
      const bytes = sample(text, 'teranga_replication_lag_bytes', { database: site, standby: `${site}-standby` });
      expect(seconds, site).toBeGreaterThanOrEqual(0);
      expect(bytes, site).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('no secret in a log line', () => {
  it('the logger redacts credential fields and scrubs tokens, keys, secrets and emails from every line', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const logger = createLogger('test', { destination, level: 'info', secrets: ['s3cr3t-value-of-the-test'] });
    logger.info({ headers: { authorization: `Bearer ${token}`, 'x-teranga-internal-secret': 'abc' }, email: 'awa.diop@example.com' }, 'incoming');
    logger.info({ token, password: 'hunter2', nested: { secret: 'x', note: `sent by awa.diop@example.com with ${token}` } }, 'fields');
    logger.error({ err: new Error('s3cr3t-value-of-the-test leaked into a message, with -----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----') }, 'failure');
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    for (const leak of [token, 'hunter2', 'awa.diop@example.com', 's3cr3t-value-of-the-test', 'MC4C', '"abc"']) expect(text).not.toContain(leak);
    expect(text).toContain('a***@example.com');
    expect(scrubLogLine('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
  });

  it('the cluster’s logs hold no token, secret, signing key or full email after real traffic', async () => {
    const token = await customerToken('2');
    const email = `leak.check.${Date.now()}@example.org`;
    await graphql('{ client(id: "2") { name email orders { id } } }', {}, { headers: { authorization: `Bearer ${token}` } });
    await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }', { i: { name: 'Leak Check', city: 'Dakar', email } });
    await graphql('mutation($i: RegisterClientInput!) { registerClient(input: $i) { id } }', { i: { name: 'Leak Check', city: 'Dakar', email: `${email} broken` } });
    await graphql('{ _inDoubt { gid } }', {}, { url: serviceUrl('region-dakar'), headers: { [INTERNAL_SECRET_HEADER]: 'a-wrong-secret-that-is-long' } });
    await fetch(`${gatewayOrigin()}/api/products/101`, { headers: { authorization: `Bearer ${token}x` } });
    await logsCaughtUp();

    const secrets = localSecrets(topology);
    const keyBody = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const logs = serviceLogTexts();
    expect(logs.size).toBe(topology.services.length);
    for (const [service, text] of logs) {
      expect(text, service).not.toContain(token);
      expect(text, service).not.toContain(token.split('.')[2]);
      expect(text, service).not.toContain(secrets.TERANGA_INTERNAL_SECRET);
      expect(text, service).not.toContain(keyBody(secrets.TERANGA_JWT_PRIVATE_KEY));
      expect(text, service).not.toContain(email);
      expect(text, service).not.toMatch(/[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z]{2,}/);
      expect(text, service).not.toMatch(/Bearer\s+(?!\[redacted\])\S/);
    }
  });
});
