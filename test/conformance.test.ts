/**
 * Teranga's gateway serving supergraphs that are not Teranga's gives the answers a plain
 * @apollo/gateway gives, query by query, over the same small subgraphs on real HTTP; and the
 * query limits, CSRF rules and authentication stay in force on them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../lib/auth/auth-config.ts';
import { issueToken } from '../lib/auth/token-issuer.ts';
import { createTokenVerifier } from '../lib/auth/token-verifier.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { buildTopology } from '../lib/topology.ts';
import { createGateway } from '../gateway/server.ts';
import { serveSupergraph, type ForeignSupergraph, type ServedSupergraph } from './support/foreign-supergraphs.ts';
import { quietLogger } from './support/quiet-logger.ts';

interface Case {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
}

const CASES: Record<ForeignSupergraph, readonly Case[]> = {
  shop: [
    {
      name: 'entity chain through four subgraphs, @requires',
      query: '{ topProducts { upc name price inStock shippingEstimate reviews { body author { username name reviews { product { name inStock } } } } } }',
    },
    {
      name: 'aliases, a named fragment, a variable default',
      query: 'query($n: Int = 2) { first: topProducts(first: $n) { ...P } all: topProducts { id: upc } } fragment P on Product { upc label: name weight }',
    },
    {
      name: 'variable given over its default',
      query: 'query($n: Int = 2) { topProducts(first: $n) { upc } }',
      variables: { n: 3 },
    },
    ...[
      { withReviews: false },
      { withReviews: true },
      { withReviews: true, skipPrice: false },
    ].map((variables) => ({
      name: `@include / @skip on fields and fragments ${JSON.stringify(variables)}`,
      query:
        'query($withReviews: Boolean!, $skipPrice: Boolean = true) { topProducts { upc price @skip(if: $skipPrice) ... @include(if: $withReviews) { reviews { body author @skip(if: $skipPrice) { name } } } } }',
      variables,
    })),
    {
      name: 'an interface with inline fragments on each type',
      query: '{ items { __typename upc name ... on Product { price inStock shippingEstimate } ... on Gift { wrapping } } }',
    },
    { name: '@override: User.name from reviews', query: '{ me { id name username reviews { id body product { upc name } } } users { id name } }' },
    { name: 'an entity by id, and an unknown one', query: 'query($a: ID!, $b: ID!) { a: user(id: $a) { ... on User { name } } b: user(id: $b) { name } }', variables: { a: '2', b: '99' } },
    { name: '@provides: the author’s username from reviews', query: '{ reviews(upc: "1") { body author { id username } } }' },
    { name: 'a subgraph error next to data', query: '{ ok: user(id: "1") { username } bad: user(id: "boom") { username } }' },
  ],
  library: [
    {
      name: 'an interface of entities, chains to loans and members',
      query:
        '{ publications { __typename id title ... on Book { isbn available loans { due member { name city } } } ... on Magazine { issue } } }',
    },
    { name: 'chains back and forth', query: '{ members { name } loans { id book { title available } member { id name loans { book { id title } } } } }' },
    ...[{}, { deep: true }, { id: 'b2', deep: true }, { id: 'nope' }].map((variables) => ({
      name: `defaults and @include ${JSON.stringify(variables)}`,
      query: 'query($id: ID! = "b1", $deep: Boolean = false) { book(id: $id) { title available loans @include(if: $deep) { member { name } } } }',
      variables,
    })),
    {
      name: 'fragments spread on the interface and on a type',
      query: '{ publications { ...Pub ... on Book { ...B } } } fragment Pub on Publication { id title } fragment B on Book { loans { id } }',
    },
  ],
};

const keys = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
})();

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; path?: unknown; extensions?: Record<string, unknown> }[] };
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/** What both gateways must agree on: the data, and each error's message and path. */
const comparable = (answer: Answer) =>
  JSON.stringify({
  status: answer.status,
  data: answer.body.data,
    errors: answer.body.errors?.map((e) => ({ message: e.message, path: e.path })),
  }, null, 1);

for (const name of ['shop', 'library'] as const) {
  describe(`the ${name} supergraph, through Teranga's gateway and a plain @apollo/gateway`, () => {
    let served: ServedSupergraph;
    let teranga: RunningServer;
    let stock: { url: string; stop(): Promise<void> };

    beforeAll(async () => {
      served = await serveSupergraph(name);
      const [first] = Object.keys(served.urls);
      // one subgraph's URL in the supergraph is wrong; the mapping gives the right one
      const misdirected = served.supergraphSdl.replace(served.urls[first!]!, 'http://127.0.0.1:9/graphql');
      const gateway = await createGateway({
        topology: buildTopology(),
        supergraphSdl: misdirected,
        subgraphUrls: { [first!]: served.urls[first!]! },
        config: { internalSecret: 'conformance-internal-secret' },
        tokenVerifier: createTokenVerifier({ verificationKey: keys.publicPem, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE }),
        development: false,
        logger: quietLogger('gateway'),
      });
      teranga = await gateway.listen(0);
      const plain = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: served.supergraphSdl }) });
      const { url } = await startStandaloneServer(plain, { listen: { port: 0, host: '127.0.0.1' } });
      stock = { url, stop: () => plain.stop() };
    });

    afterAll(async () => {
      await teranga?.stop();
      await stock?.stop();
      await served?.stop();
    });

    for (const c of CASES[name]) {
      it(c.name, async () => {
        const [ours, theirs] = await Promise.all([post(teranga.url, c.query, c.variables), post(stock.url, c.query, c.variables)]);
        expect(theirs.status).toBe(200);
        expect(comparable(ours)).toEqual(comparable(theirs));
        expect(theirs.body.data, 'the case reads something').toBeTruthy();
      });
    }

    if (name === 'shop') {
      it('hides an internal error’s message, as Teranga does for its own subgraphs in production; data and path as plain Apollo', async () => {
        const query = '{ ok: user(id: "1") { username } bad: user(id: "crash") { username } }';
        const [ours, theirs] = await Promise.all([post(teranga.url, query), post(stock.url, query)]);
        expect(ours.body.data).toEqual(theirs.body.data);
        expect(ours.body.errors?.map((e) => e.path)).toEqual(theirs.body.errors?.map((e) => e.path));
        expect(theirs.body.errors?.[0]?.message).toBe('accounts lost its database');
        expect(ours.body.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      });
    }

    it('is ready when every subgraph of the supergraph answers, at the mapped URL', async () => {
      const ready = await fetch(teranga.url.replace(/\/graphql$/, '/ready'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', service: 'gateway', failed: [] });
    });

    it('keeps the query limits, CSRF rules and authentication in force', async () => {
      const cheap = name === 'shop' ? 'users { id }' : 'members { id }';
      const aliases = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: ${cheap}`).join(' ')} }`;
      const tooMany = await post(teranga.url, aliases);
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);

      const get = await fetch(`${teranga.url}?query=${encodeURIComponent('{ __typename }')}`);
      expect(get.status).toBe(400);
      await get.body?.cancel();
      const simple = await fetch(teranga.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
      expect([400, 415]).toContain(simple.status);
      await simple.body?.cancel();

      const forged = await post(teranga.url, '{ __typename }', {}, { authorization: 'Bearer not.a.token' });
      expect(forged.status).toBe(401);
      expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const token = await issueToken({ privateKey: keys.privatePem, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE }, { role: 'admin', subject: 'conformance' });
      const signed = await post(teranga.url, '{ __typename }', {}, { authorization: `Bearer ${token}` });
      expect(signed.status).toBe(200);
      expect(signed.body.data).toEqual({ __typename: 'Query' });
    });
  });
}
