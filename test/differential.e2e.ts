/**
 * The routed gateway against an unsharded reference over the same data, query by query: a corpus
 * generated from the public schema (test/support/read-corpus.ts) is sent to both, and the data
 * (and each error's path and code) must be equal. The reference is one GraphQL server answering
 * the gateway's public schema from the coordinator's global views (test/support/unsharded-reference.ts).
 */
import { randomUUID } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, type CorpusQuery } from './support/read-corpus.ts';
import { graphql, sql, type GraphQLResponse } from './support/cluster.ts';
import { asAdmin } from './support/tokens.ts';
import { startReference, type Reference } from './support/unsharded-reference.ts';
import { eachAtMost } from '../lib/each-at-most.ts';

let admin: Record<string, string> = {};
let reference: Reference;
let corpus: CorpusQuery[] = [];

const outcome = (response: GraphQLResponse<unknown>) => ({
  data: response.data ?? null,
  errors: (response.errors ?? []).map((e) => `${(e.path ?? []).join('.')} ${String(e.extensions?.code)}`).sort(),
});

beforeAll(async () => {
  admin = await asAdmin();
  const introspection = await graphql<IntrospectionQuery>(getIntrospectionQuery(), {}, { headers: admin });
  const schema = buildClientSchema(introspection.data!);
  reference = await startReference(printSchema(schema));

  const firstOfEachSite = await sql<{ id: number }>('coordinator', 'SELECT min(id) AS id FROM client_fragment GROUP BY site ORDER BY site');
  const orders = await sql<{ id: string }>('coordinator', 'SELECT DISTINCT ON (site) id FROM commande ORDER BY site, created_at');
  corpus = generateCorpus(schema, {
    'client.id': [...firstOfEachSite.map((r) => String(r.id)), '999999', 'abc'],
    'clients.city': ['Thiès', 'Kaolack', 'Atlantis'],
    'clients.site': ['DAKAR', 'SAINT_LOUIS'],
    'siteForCity.city': ['Dakar', 'Mbour', 'Atlantis'],
    'product.id': ['101', '107', '999999'],
    'products.limit': [3],
    'products.offset': [4],
    'order.id': [...orders.map((r) => r.id), randomUUID()],
  });
});

afterAll(async () => {
  await reference?.stop();
});

describe('the routed gateway and an unsharded reference', () => {
  it('give the same data, query by query, over a corpus generated from the public schema', async () => {
    expect(corpus.length).toBeGreaterThan(200);
    const found: (string | null)[] = new Array<string | null>(corpus.length).fill(null);
    let withData = 0;
    // a few queries in flight at once: the corpus only reads, and each answer is compared on its own
    await eachAtMost(corpus, 8, async (item, i) => {
      const [routed, single] = await Promise.all([
        graphql(item.query, item.variables, { headers: { ...admin, ...item.headers } }),
        graphql(item.query, item.variables, { url: reference.url }),
      ]);
      const a = outcome(routed);
      const b = outcome(single);
      if (JSON.stringify(b.data).length > 40) withData++;
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        found[i] = `${item.name}\n    ${item.query} ${JSON.stringify(item.variables)}\n    gateway:   ${JSON.stringify(a).slice(0, 400)}\n    reference: ${JSON.stringify(b).slice(0, 400)}`;
      }
    });
    const differences = found.filter((d): d is string => d !== null);
    console.info(`differential corpus: ${corpus.length} queries (${withData} with non-trivial data), ${differences.length} differences`);
    for (const difference of differences) console.info(difference);
    expect(differences).toEqual([]);
  }, 600_000);
});
