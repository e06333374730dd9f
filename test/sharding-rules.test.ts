/**
 * The routing table of the sharded subgraph against the supergraph, and the settings that choose
 * the supergraph and its subgraph URLs: what the gateway checks before it serves anything.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../lib/topology.ts';
import { checkShardingRules, ShardingRulesError, type ShardingRules } from '../gateway/sharding-rules.ts';
import { parseSubgraphUrls, resolveSubgraphUrls, supergraphSettingsFromEnv, SupergraphSettingsError } from '../gateway/supergraph-config.ts';
import { SUPERGRAPH_FILE } from '../gateway/supergraph.ts';
import { REGIONS_ROUTING } from '../schema/regions.routing.ts';

const supergraph = readFileSync(path.join(REPO_ROOT, SUPERGRAPH_FILE), 'utf8');

function problemsOf(rules: ShardingRules, subgraph = 'regions'): readonly string[] {
  try {
    checkShardingRules(supergraph, subgraph, rules);
    return [];
  } catch (error) {
    if (error instanceof ShardingRulesError) return error.problems;
    throw error;
  }
}

describe('the routing rules of the regions subgraph', () => {
  it('cover every public root field and entity of the subgraph, and nothing else', () => {
    expect(problemsOf(REGIONS_ROUTING)).toEqual([]);
  });

  it('a root field or an entity without a rule stops the gateway with its name', () => {
    const { ['Query.clients']: _clients, ...rootFields } = REGIONS_ROUTING.rootFields;
    const { Order: _order, ...entities } = REGIONS_ROUTING.entities;
    expect(problemsOf({ rootFields, entities })).toEqual(['Query.clients has no routing rule', 'entity Order has no routing rule']);
  });

  it('a key naming a missing argument, or a merge that does not fit the field’s type, is refused', () => {
    const problems = problemsOf({
      rootFields: {
        ...REGIONS_ROUTING.rootFields,
        'Query.client': { keys: [{ argument: 'clientId', by: 'client' }], otherwise: 'refuse' },
        'Query.order': { keys: [], otherwise: 'every-site', merge: 'concat' },
        'Query.nothing': { keys: [], otherwise: 'any-site' },
      },
      entities: {
        ...REGIONS_ROUTING.entities,
        StockLevel: { by: 'site', field: 'quantity' },
        Product: { by: 'combine', merge: { inventory: 'sum' } },
      },
    });
    expect(problems).toEqual([
      'Query.client has no argument "clientId"',
      'Query.order is merged by concat but is not a list',
      'Query.nothing is not a root field of the supergraph',
      'Product.stock is combined from every site but declares no merge',
      'Product.inventory is merged by sum but is not a number',
      'entity StockLevel is routed by "quantity", which is not a key field',
    ]);
  });

  it('a sharded subgraph the supergraph does not have is named', () => {
    expect(problemsOf(REGIONS_ROUTING, 'shards')).toEqual(['the supergraph has no subgraph named "shards"']);
  });
});

describe('the supergraph settings', () => {
  it('reads the URL mapping, the sharded subgraph (default regions) and the file', () => {
    expect(supergraphSettingsFromEnv({})).toEqual({ file: undefined, subgraphUrls: {}, shardedSubgraph: 'regions' });
    expect(
      supergraphSettingsFromEnv({
        SUPERGRAPH_FILE: '/etc/supergraph.graphql',
        TERANGA_SUBGRAPH_URLS: ' products=http://products:4001/graphql , orders=https://orders.example/graphql',
        TERANGA_SHARDED_SUBGRAPH: 'shards',
      }),
    ).toEqual({
      file: '/etc/supergraph.graphql',
      subgraphUrls: { products: 'http://products:4001/graphql', orders: 'https://orders.example/graphql' },
      shardedSubgraph: 'shards',
    });
  });

  it('refuses a malformed mapping with the setting’s name', () => {
    expect(() => parseSubgraphUrls('products')).toThrow(/TERANGA_SUBGRAPH_URLS: expected name=url/);
    expect(() => parseSubgraphUrls('products=not a url')).toThrow(/TERANGA_SUBGRAPH_URLS: "not a url" for subgraph "products" is not a URL/);
    expect(() => parseSubgraphUrls('products=ftp://x/graphql')).toThrow(SupergraphSettingsError);
    expect(() => parseSubgraphUrls('a=http://x,a=http://y')).toThrow(/given twice/);
  });

  it('takes each URL from the mapping, else from the supergraph; the sharded subgraph is left to the router', () => {
    const urls = resolveSubgraphUrls(supergraph, { orders: 'http://orders.internal:9000/graphql' }, 'regions');
    expect(Object.fromEntries(urls)).toEqual({ products: 'http://127.0.0.1:4001/graphql', orders: 'http://orders.internal:9000/graphql' });
    expect(() => resolveSubgraphUrls(supergraph, { inventory: 'http://x/graphql' }, 'regions')).toThrow(
      /names subgraph "inventory", which the supergraph does not have \(it has orders, products, regions\)/,
    );
  });
});
