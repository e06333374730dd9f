/**
 * The REST API on the gateway: the same data as GraphQL, errors with the registry's statuses,
 * and its OpenAPI document and docs page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopService, up } from '../cluster/cluster.ts';
import { gatewayOrigin, graphql, topology } from './support/cluster.ts';
import { copiesNoticedStop } from './support/copies.ts';

interface StockLevel {
  site: string;
  quantity: number;
}

interface RestProduct {
  id: string;
  name: string;
  description: string | null;
  price: number;
  stock: number | null;
  inventory: (StockLevel | null)[];
  unavailableSites: string[];
  nearest: { site: string; quantity: number | null } | null;
}

async function get<T>(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${gatewayOrigin()}${pathname}`, { headers });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

const PRODUCT_FIELDS = 'id name description price stock inventory { site quantity }';

describe('products', () => {
  it('a product via REST is the same as via GraphQL', async () => {
    const rest = await get<RestProduct>('/api/products/101');
    expect(rest.status).toBe(200);
    const gql = await graphql<{ product: Omit<RestProduct, 'nearest'> }>(`{ product(id: "101") { ${PRODUCT_FIELDS} } }`);
    const { nearest, unavailableSites, ...info } = rest.body;
    expect(info).toEqual(gql.data!.product);
    expect(nearest).toBeNull();
    expect(unavailableSites).toEqual([]);
    expect(rest.body.stock).toBe(rest.body.inventory.reduce((sum, l) => sum + (l?.quantity ?? 0), 0));
    expect(rest.headers.get('x-request-id')).toBeTruthy();
  });

  it('nearest is the stock at the warehouse of the caller’s site, from ?city= or x-client-city', async () => {
    const byQuery = await get<RestProduct>('/api/products/102?city=Kaolack');
    const thies = byQuery.body.inventory.find((l) => l?.site === 'THIES')!;
    expect(byQuery.body.nearest).toEqual({ site: 'THIES', quantity: thies.quantity });
    const byHeader = await get<RestProduct>('/api/products/102', { 'x-client-city': 'Saint%20Louis' });
    const saintLouis = byHeader.body.inventory.find((l) => l?.site === 'SAINT_LOUIS')!;
    expect(byHeader.body.nearest).toEqual({ site: 'SAINT_LOUIS', quantity: saintLouis.quantity });
    const accented = await get<RestProduct>('/api/products/102', { 'x-client-city': 'Thi%C3%A8s' });
    expect(accented.body.nearest?.site).toBe('THIES');
  });

  it('lists products by id with limit and offset, like GraphQL', async () => {
    const rest = await get<{ products: RestProduct[]; limit: number; offset: number }>('/api/products?limit=3&offset=2');
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ limit: 3, offset: 2 });
    const gql = await graphql<{ products: Omit<RestProduct, 'nearest'>[] }>(
      `{ products(limit: 3, offset: 2) { ${PRODUCT_FIELDS} } }`,
    );
    expect(rest.body.products.map(({ nearest: _n, unavailableSites: _u, ...info }) => info)).toEqual(gql.data!.products);
  });

  it('a non-numeric id is 400 BAD_USER_INPUT', async () => {
    const response = await get<{ error: { code: string; message: string } }>('/api/products/abc');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('BAD_USER_INPUT');
    expect(response.body.error.message).toMatch(/abc/);
  });

  it('an unknown product is 404 NOT_FOUND', async () => {
    const response = await get<{ error: { code: string } }>('/api/products/987654');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('an unknown city is 400 UNKNOWN_CITY; a malformed limit is 400 BAD_USER_INPUT', async () => {
    const city = await get<{ error: { code: string } }>('/api/products/101?city=Atlantis');
    expect(city.status).toBe(400);
    expect(city.body.error.code).toBe('UNKNOWN_CITY');
    const limit = await get<{ error: { code: string } }>('/api/products?limit=ten');
    expect(limit.status).toBe(400);
    expect(limit.body.error.code).toBe('BAD_USER_INPUT');
  });
});

describe('sites', () => {
  it('names the site serving a city, and refuses an unknown city with 400', async () => {
    const known = await get<{ city: string; site: string }>('/api/sites/for-city/Kaolack');
    expect(known).toMatchObject({ status: 200, body: { city: 'Kaolack', site: 'THIES' } });
    const accented = await get<{ site: string }>(`/api/sites/for-city/${encodeURIComponent('Thiès')}`);
    expect(accented.body.site).toBe('THIES');
    const unknown = await get<{ error: { code: string } }>('/api/sites/for-city/Atlantis');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('UNKNOWN_CITY');
  });

  it('an unknown route is a JSON 404', async () => {
    const response = await get<{ error: { code: string } }>('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});

describe('documentation', () => {
  it('serves an OpenAPI 3.1 document describing every route', async () => {
    const response = await get<{ openapi: string; paths: Record<string, unknown> }>('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(Object.keys(response.body.paths).sort()).toEqual(['/products', '/products/{id}', '/sites/for-city/{city}']);
  });

  it('serves the docs page with its assets from the gateway itself', async () => {
    const page = await fetch(`${gatewayOrigin()}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.url).toMatch(/\/api\/docs\/$/);
    expect(await page.text()).toContain('swagger-ui-bundle.js');
    const bundle = await fetch(`${gatewayOrigin()}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    const init = await fetch(`${gatewayOrigin()}/api/docs/swagger-ui-init.js`);
    expect(await init.text()).toContain('Teranga REST API');
  });
});

describe('a site that is down', () => {
  beforeAll(async () => {
    await stopService(topology, 'region-thies');
    await copiesNoticedStop('thies');
  });

  afterAll(async () => {
    await up(topology);
  }, 180_000);

  it('a product still comes back, with Thiès’s stock unavailable (test/errors.e2e.ts has the details)', async () => {
    const response = await get<RestProduct>('/api/products/101');
    expect(response.status).toBe(200);
    expect(response.body.unavailableSites).toEqual(['THIES']);
  });
});
