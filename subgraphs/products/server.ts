/**
 * Builds the products subgraph: Product general information from the products database only.
 * Listening is left to index.ts, so tests start it in-process on any port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { Kysely, PostgresDialect, sql, type Logger } from 'kysely';
import { createPool } from '../../lib/db/connect.ts';
import type { ProductsDatabase } from '../../lib/db/tables.ts';
import { createSubgraphServer, type SubgraphServer } from '../../lib/service/subgraph-server.ts';
import { primaryOf, type Topology } from '../../lib/topology.ts';
import type { ProductsContext } from './context.ts';
import { createProductsLoaders } from './loaders.ts';
import { productsResolvers } from './resolvers.ts';

export interface ProductsServerOptions {
  readonly topology: Topology;
  /**
   * kysely's log hook, called once for every SQL statement the subgraph sends (BEGIN and COMMIT
   * included): tests count statements with it, operators can log slow queries.
   */
  readonly log?: Logger;
}

/**
 * @example
 * const server = await createProductsServer({ topology: topologyFromEnv() });
 * const running = await server.listen(0);
 */
export async function createProductsServer(options: ProductsServerOptions): Promise<SubgraphServer> {
  const { topology } = options;
  const typeDefs = parse(readFileSync(path.join(topology.root, 'schema', 'products.graphql'), 'utf8'));
  const pool = createPool(topology, primaryOf(topology, 'products'), { applicationName: 'teranga-products' });
  const db = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool }), log: options.log });
  try {
    return await createSubgraphServer<ProductsContext>({
      name: 'products',
      typeDefs,
      resolvers: productsResolvers,
      context: async () => ({ db, loaders: createProductsLoaders(db) }),
      ready: async () => {
        await sql`SELECT 1`.execute(db);
      },
      onStop: () => db.destroy(),
    });
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
