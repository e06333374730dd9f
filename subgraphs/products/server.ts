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
import { FollowingPool } from '../../lib/db/following-pool.ts';
import { CATALOG_COPY_DATABASE, type SiteId, type Topology } from '../../lib/topology.ts';
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
  /**
   * Serve the catalogue from this site's copy of `produit` (CATALOG_COPY_DATABASE on the site's
   * server, kept by logical replication) instead of the products database: a site outside the
   * products database's city reads it without crossing the WAN. Default: the products database.
   */
  readonly copyAt?: SiteId | null;
}

/**
 * @example
 * const server = await createProductsServer({ topology: topologyFromEnv() });
 * const running = await server.listen(0);
 */
export async function createProductsServer(options: ProductsServerOptions): Promise<SubgraphServer> {
  const { topology } = options;
  const typeDefs = parse(readFileSync(path.join(topology.root, 'schema', 'products.graphql'), 'utf8'));
  const copyAt = options.copyAt ?? null;
  let db: Kysely<ProductsDatabase>;
  let primaryDb: Kysely<ProductsDatabase> | null = null;
  if (copyAt) {
    // the copy lives on the site's current primary (its standby carries it too): failover-proof
    const pool = new FollowingPool(topology, copyAt, { target: 'primary', databaseName: CATALOG_COPY_DATABASE, applicationName: `teranga-products-${copyAt}` });
    db = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool }), log: options.log });
  } else {
    // product information changes rarely and only through migrations: the standby serves it
    const pools = createDatabasePools(topology, 'products', { applicationName: 'teranga-products' });
    db = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool: pools.replica }), log: options.log });
    primaryDb = new Kysely<ProductsDatabase>({ dialect: new PostgresDialect({ pool: pools.primary }) });
  }
  const destroy = () => Promise.all([db.destroy(), primaryDb?.destroy()]).then(() => {});
  try {
    return await createSubgraphServer<ProductsContext>({
      name: 'products',
      typeDefs,
      resolvers: productsResolvers,
      context: async () => ({ db, loaders: createProductsLoaders(db) }),
      logger: options.logger,
      auth: { tokenVerifier: options.tokenVerifier },
      // the products primary's standbys are reported once, by the subgraph beside it
      metrics: primaryDb ? replicationMetrics(primaryDb, 'products') : undefined,
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
