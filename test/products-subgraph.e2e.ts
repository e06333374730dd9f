/**
 * The products subgraph, in-process against the cluster's products database.
 *
 * SQL statements are counted with kysely's `log` hook (the `log` option of
 * createProductsServer), which runs once per statement the subgraph sends, before the
 * response is written: a request's count is the counter's value when its response arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { createProductsServer } from '../subgraphs/products/server.ts';
import { graphql, sql, topology, type GraphQLResponse } from './support/cluster.ts';
import { quietLogger } from './support/quiet-logger.ts';

let server: RunningServer;
let statements = 0;

beforeAll(async () => {
  server = await (await createProductsServer({ topology, logger: quietLogger('products'), log: () => void (statements += 1) })).listen(0);
});

afterAll(async () => {
  await server?.stop();
});

/** Runs one operation and returns its response with the number of SQL statements it caused. */
async function run<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}) {
  statements = 0;
  const response: GraphQLResponse<T> = await graphql<T>(query, variables, { url: server.url });
  return { ...response, statements };
}

const productIds = async (limit: number, offset = 0) =>
  (await sql<{ id: number }>('products', 'SELECT id FROM produit ORDER BY id LIMIT $1 OFFSET $2', [limit, offset])).map((r) =>
    String(r.id),
  );

describe('products subgraph', () => {
  it('publishes its federation SDL', async () => {
    const { data } = await run('{ _service { sdl } }');
    expect(data?._service.sdl).toMatch(/type Product\s+@key\(fields: "id"\)/);
    // the stock is the regional sites' fragment: this subgraph knows nothing of it
    expect(data?._service.sdl).not.toMatch(/\binventory\s*:|\bstock\s*:|type StockLevel/);
  });

  it('serves the case study product 101 from PRODUIT_INFO', async () => {
    const { data, errors } = await run('{ product(id: "101") { id name description price } }');
    expect(errors).toBeUndefined();
    expect(data?.product).toEqual({ id: '101', name: 'Ordinateur HP', description: 'PC portable 15 pouces', price: 450000 });
  });

  it('answers null for unknown or malformed ids, without an error', async () => {
    const { data, errors } = await run(
      '{ unknown: product(id: "999999") { id } word: product(id: "abc") { id } huge: product(id: "99999999999") { id } }',
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ unknown: null, word: null, huge: null });
  });

  it('pages products by id with one statement whatever the page size', async () => {
    const ten = await run('{ products(limit: 10) { id name price } }');
    const fifty = await run('{ products(limit: 50) { id name price } }');
    expect(ten.errors).toBeUndefined();
    expect(fifty.errors).toBeUndefined();
    expect(ten.data?.products.map((p: { id: string }) => p.id)).toEqual(await productIds(10));
    expect(fifty.data?.products.map((p: { id: string }) => p.id)).toEqual(await productIds(50));
    expect(ten.statements).toBe(1);
    expect(fifty.statements).toBe(ten.statements);
  });

  it('defaults limit to 50, caps it at 200 and honours offset', async () => {
    const { data } = await run('{ byDefault: products { id } capped: products(limit: 100000) { id } page: products(limit: 2, offset: 1) { id } }');
    expect(data?.byDefault.map((p: { id: string }) => p.id)).toEqual(await productIds(50));
    expect(data?.capped.map((p: { id: string }) => p.id)).toEqual(await productIds(200));
    expect(data?.page.map((p: { id: string }) => p.id)).toEqual(await productIds(2, 1));
  });

  it('refuses a negative limit or offset with BAD_USER_INPUT', async () => {
    for (const args of ['limit: -1', 'offset: -1']) {
      const { errors } = await run(`{ products(${args}) { id } }`);
      expect(errors?.[0]?.extensions?.code, args).toBe('BAD_USER_INPUT');
    }
  });

  it('resolves a batch of Product entities with one statement, null for unknown ids', async () => {
    const { data, statements: count } = await run(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id name price } } }`,
      {
        representations: [
          { __typename: 'Product', id: '103' },
          { __typename: 'Product', id: '999999' },
          { __typename: 'Product', id: '101' },
          { __typename: 'Product', id: 'abc' },
        ],
      },
    );
    expect(data?._entities).toEqual([
      { id: '103', name: 'Casque Bluetooth', price: 75000 },
      null,
      { id: '101', name: 'Ordinateur HP', price: 450000 },
      null,
    ]);
    expect(count).toBe(1);
  });
});
