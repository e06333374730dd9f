/**
 * Builds the products subgraph: Product general information from the products database only.
 * Listening is left to index.ts, so tests start it in-process on any port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { Kysely, PostgresDialect, sql, type Logger } from 'kysely';
import type { TokenVerifier } from '../../lib/auth/token-verifier.ts';
import { createDatabasePools } from '../../lib/db/database-pools.ts';
import type { ProductsDatabase } from '../../lib/db/tables.ts';
import type { Logger as ServiceLogger } from '../../lib/service/logger.ts';
import { replicationMetrics } from '../../lib/service/replication-metrics.ts';
import { createSubgraphServer, type SubgraphServer } from '../../lib/service/subgraph-server.ts';
import type { Topology } from '../../lib/topology.ts';
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
  /**
   * Verifies the callers' bearer tokens. The catalogue is public, but a token that does not verify
   * is refused here as everywhere; without a verifier any bearer token is refused.
   */
  readonly tokenVerifier?: TokenVerifier;
  /** Where the service's own log lines go (default: stdout, named after the service). */
  readonly logger?: ServiceLogger;
}

/**
 * @example
 * const server = await createProductsServer({ topology: topologyFromEnv() });
 * const running = await server.listen(0);
 */
export async function createProductsServer(options: ProductsServerOptions): Promise<SubgraphServer> {
  const { topology } = options;
  const typeDefs = parse(readFileSync(path.join(topology.root, 'schema', 'products.graphql'), 'utf8'));
  // product information changes rarely and only through migrations: the standby serves it
  const pools = createDatabasePools(topology, 'products', { applicationName: 'teranga-products' });
  const db = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool: pools.replica }), log: options.log });
  const primaryDb = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool: pools.primary }) });
  const destroy = () => Promise.all([db.destroy(), primaryDb.destroy()]).then(() => {});
  try {
    return await createSubgraphServer<ProductsContext>({
      name: 'products',
      typeDefs,
      resolvers: productsResolvers,
      context: async () => ({ db, loaders: createProductsLoaders(db) }),
      logger: options.logger,
      auth: { tokenVerifier: options.tokenVerifier },
      metrics: replicationMetrics(primaryDb, 'products'),
      ready: async () => {
        await sql`SELECT 1`.execute(db);
      },
      onStop: destroy,
    });
  } catch (error) {
    await destroy();
    throw error;
  }
}
