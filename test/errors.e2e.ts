/**
 * Errors as callers see them through the gateway: one code for an unknown city in GraphQL and
 * REST, with the closest known cities; nothing in an error telling where a client lives; no stack
 * trace unless TERANGA_DEBUG=1; REST reporting the limit it applied and the sites that served it;
 * OpenAPI examples that match their statuses; and REST answering with the reachable sites' stock
 * when a site is down, as GraphQL does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopService, up } from '../cluster/cluster.ts';
import { ERROR_CODES, type ErrorCode } from '../lib/errors.ts';
import { siteByCode } from '../lib/sites.ts';
import { gatewayOrigin, graphql, topology } from './support/cluster.ts';
import { copiesNoticedStop } from './support/copies.ts';
import { expectCatalogueRouting } from './support/routing.ts';
import { asAdmin, asCustomer } from './support/tokens.ts';

interface RestError {
  error: { code: string; message: string; suggestions?: string[] };
}

async function get<T>(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${gatewayOrigin()}${pathname}`, { headers });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

const SITE_WORDS = /THIES|Thiès|Thies|DAKAR|SAINT_LOUIS|Saint-Louis/i;

describe('an unknown city', () => {
  it('is UNKNOWN_CITY with the closest cities in GraphQL siteForCity, and names no site', async () => {
    const response = await graphql('{ siteForCity(city: "Tambakounda") }');
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.extensions).toMatchObject({ code: 'UNKNOWN_CITY', city: 'Tambakounda', suggestions: ['Tambacounda'] });
    expect(error!.extensions).not.toHaveProperty('site');
    expect(error!.message).toContain('did you mean Tambacounda?');
  });

  it('is UNKNOWN_CITY in clients(city:) too, with an accent-insensitive suggestion', async () => {
    const response = await graphql('{ clients(city: "THIESS") { id } }', {}, { headers: await asAdmin() });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UNKNOWN_CITY', suggestions: ['Thiès'] });
  });

  it('is 400 UNKNOWN_CITY with suggestions on every REST route', async () => {
    for (const pathname of ['/api/sites/for-city/Thiess', '/api/products/101?city=Thiess', '/api/products?city=Thiess']) {
      const response = await get<RestError>(pathname);
      expect(response.status, pathname).toBe(400);
      expect(response.body.error, pathname).toMatchObject({ code: 'UNKNOWN_CITY', suggestions: ['Thiès'] });
      expect(response.body.error.message, pathname).toContain('did you mean Thiès?');
    }
    const far = await get<RestError>('/api/sites/for-city/Paris');
    expect(far.body.error).toMatchObject({ code: 'UNKNOWN_CITY', suggestions: [] });
  });
});

describe('errors about a client', () => {
  it('tell an anonymous caller nothing of where the client lives', async () => {
    const response = await graphql('{ client(id: "2") { name } }');
    const [error] = response.errors!;
    expect(error!.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error!.extensions).not.toHaveProperty('site');
    expect(JSON.stringify(error)).not.toMatch(SITE_WORDS);
  });

  it('tell another customer nothing of where the client lives', async () => {
    const response = await graphql('{ client(id: "2") { name orders { id } } }', {}, { headers: await asCustomer(1) });
    const [error] = response.errors!;
    expect(error!.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(error)).not.toMatch(SITE_WORDS);
  });

  it('carry no stack trace (the cluster runs without TERANGA_DEBUG)', async () => {
    const responses = [
      await graphql('{ client(id: "2") { name } }'),
      await graphql('{ siteForCity(city: "Atlantis") }'),
      await graphql('{ product(id: "x") { name } }'),
    ];
    for (const response of responses) {
      for (const error of response.errors ?? []) expect(error.extensions ?? {}).not.toHaveProperty('stacktrace');
    }
  });
});

describe('REST answers', () => {
  it('report the limit actually applied', async () => {
    const capped = await get<{ products: unknown[]; limit: number }>('/api/products?limit=5000');
    expect(capped.status).toBe(200);
    expect(capped.body.limit).toBe(200);
    expect(capped.body.products.length).toBeLessThanOrEqual(200);
    const byDefault = await get<{ products: unknown[]; limit: number }>('/api/products');
    expect(byDefault.body.limit).toBe(50);
    expect((await get<{ limit: number }>('/api/products?limit=3')).body.limit).toBe(3);
  });

  it('carry the sites that served them in x-teranga-sites', async () => {
    const product = await get('/api/products/101');
    // every warehouse's stock, read at one site (Dakar's copies of the others, no caller's city),
    // or at every site when a copy is behind its bound
    expectCatalogueRouting((product.headers.get('x-teranga-sites') ?? '').split(',').map((code) => siteByCode(code)?.id ?? code));
    const site = await get('/api/sites/for-city/Kaolack');
    expect(site.headers.get('x-teranga-sites')?.split(',')).toHaveLength(1);
  });

  it('are documented with examples whose code has the response’s status', async () => {
    const doc = (await get<{ paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: { error: { code: string } } }> }> }> } }> }>('/api/openapi.json')).body;
    let checked = 0;
    for (const [route, { get: operation }] of Object.entries(doc.paths)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status.startsWith('2')) continue;
        const examples = Object.values(response.content?.['application/json']?.examples ?? {});
        expect(examples.length, `${route} ${status}`).toBeGreaterThan(0);
        for (const example of examples) {
          const code = example.value.error.code as ErrorCode;
          expect(ERROR_CODES[code]?.status, `${route} ${status} ${code}`).toBe(Number(status));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(8);
    expect(Object.keys(doc.paths['/sites/for-city/{city}']!.get.responses)).toContain('400');
  });
});

interface RestProduct {
  id: string;
  stock: number | null;
  inventory: { site: string; quantity: number | null }[];
  unavailableSites: string[];
  nearest: { site: string; quantity: number | null } | null;
}

describe('REST with a site down', () => {
  beforeAll(async () => {
    await stopService(topology, 'region-thies');
    await copiesNoticedStop('thies');
  });

  afterAll(async () => {
    await up(topology);
  }, 180_000);

  it('a product still comes back, Thiès’s stock marked unavailable', async () => {
    const response = await get<RestProduct>('/api/products/101?city=Kaolack');
    expect(response.status).toBe(200);
    expect(response.body.id).toBe('101');
    expect(response.body.unavailableSites).toEqual(['THIES']);
    expect(response.body.stock).toBeNull();
    expect(response.body.inventory.map((l) => l.site)).toEqual(['DAKAR', 'THIES', 'SAINT_LOUIS']);
    expect(response.body.inventory.find((l) => l.site === 'THIES')!.quantity).toBeNull();
    expect(response.body.inventory.find((l) => l.site === 'DAKAR')!.quantity).toEqual(expect.any(Number));
    expect(response.body.nearest).toEqual({ site: 'THIES', quantity: null });
  });

  it('the catalogue still comes back, every product with Thiès unavailable', async () => {
    const response = await get<{ products: RestProduct[] }>('/api/products?limit=5');
    expect(response.status).toBe(200);
    expect(response.body.products).toHaveLength(5);
    for (const product of response.body.products) expect(product.unavailableSites).toEqual(['THIES']);
  });
});
