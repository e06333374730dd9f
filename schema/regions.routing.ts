/**
 * Routing keys and merge rules of the `regions` subgraph (schema/regions.graphql), which one
 * process per site serves with the same schema. Every public root field and entity type of the
 * subgraph has a rule here; the gateway refuses to start when one is missing or names an argument
 * or field the supergraph does not have (gateway/sharding-rules.ts).
 */
import type { ShardingRules } from '../gateway/sharding-rules.ts';
import { EVERY_WAREHOUSE, STOCK_SCOPE_HEADER } from '../lib/stock-scope.ts';

export const REGIONS_ROUTING: ShardingRules = {
  rootFields: {
    // only the client's own site holds the row; an unknown id is still asked of one site, which applies the access rules
    'Query.client': { keys: [{ argument: 'id', by: 'client' }], otherwise: 'refuse' },
    // with neither argument, the schema promises every client of every site
    'Query.clients': {
      keys: [
        { argument: 'site', by: 'site' },
        { argument: 'city', by: 'city' },
      ],
      otherwise: 'every-site',
      merge: 'concat',
    },
    // placement is the same table at every site
    'Query.siteForCity': { keys: [{ argument: 'city', by: 'city' }], otherwise: 'any-site' },
    // order ids do not name their site: the one site that has it answers
    'Query.order': { keys: [], otherwise: 'every-site', merge: 'first' },
    // any site answers from its own copies: the gateway's own site, so that nothing crosses sites
    'Query.warehouseStock': { keys: [{ argument: 'at', by: 'site' }], otherwise: 'any-site' },
    'Mutation.restock': { keys: [{ argument: 'site', by: 'site' }], otherwise: 'refuse' },
  },
  entities: {
    Client: { by: 'client', field: 'id' },
    StockLevel: { by: 'site', field: 'site' },
    Order: { by: 'site', field: 'site' },
    // each warehouse holds its own stock of every product (the STOCK fragment, fragmented by site);
    // one site answers them all, the others' from its local copies, while those are at most
    // TERANGA_STOCK_COPY_MAX_AGE_MS old (lib/stock-scope.ts), else every site is asked for its own
    Product: { by: 'combine', merge: { inventory: 'concat', stock: 'sum' }, oneSite: { header: STOCK_SCOPE_HEADER, value: EVERY_WAREHOUSE } },
  },
};
