/**
 * Builds a regional subgraph: one codebase, one process per site, each reading and writing only
 * its own site's primary database. Listening is left to index.ts, so tests start any site
 * in-process on any port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type DocumentNode } from 'graphql';
import { Kysely, PostgresDialect, sql, type Logger } from 'kysely';
import { Registry } from 'prom-client';
import type { TokenVerifier } from '../../lib/auth/token-verifier.ts';
import { countingLog } from '../../lib/db/connect.ts';
import { createDatabasePools } from '../../lib/db/database-pools.ts';
import type { SiteDatabase } from '../../lib/db/tables.ts';
import { principalOf } from '../../lib/service/caller.ts';
import type { Logger as ServiceLogger } from '../../lib/service/logger.ts';
import { replicationMetrics } from '../../lib/service/replication-metrics.ts';
import { createSubgraphServer, type SubgraphServer } from '../../lib/service/subgraph-server.ts';
import type { SiteId } from '../../lib/sites.ts';
import type { Topology } from '../../lib/topology.ts';
import type { RegionContext } from './context.ts';
import { EVERY_WAREHOUSE, STOCK_SCOPE_HEADER, stockCopyMaxAgeFromEnv } from '../../lib/stock-scope.ts';
import { createRegionLoaders } from './loaders.ts';
import { outboxMetrics } from './outbox-metrics.ts';
import { participantResolvers } from './participant/resolvers.ts';
import { startPaymentRelay } from './payment-relay.ts';
import { PaymentsClient } from '../../lib/payments/client.ts';
import { createLogger } from '../../lib/service/logger.ts';
import { regionResolvers } from './resolvers.ts';
import { DEFAULT_HEARTBEAT_MS, startHeartbeat, StockCopies } from './local-copies.ts';

export interface RegionServerOptions {
  readonly topology: Topology;
  readonly site: SiteId;
  /**
   * More SDL served by the same subgraph (internal fields, for instance). It may use the
   * directives schema/regions.graphql already imports (@key, @shareable, @inaccessible) and
   * `extend type Query`/`extend type Mutation`.
   */
  readonly extraTypeDefs?: DocumentNode;
  /** Resolvers merged into the subgraph's, type by type; a field given here wins. */
  readonly extraResolvers?: GraphQLResolverMap<RegionContext>;
  /**
   * The shared secret internal callers present in the `x-teranga-internal-secret` header; it sets
   * `internalCaller` in the context. Without it no request counts as internal.
   */
  readonly internalSecret?: string;
  /**
   * Verifies the bearer token the gateway forwards (the caller's own): whose client record and
   * orders a request may read follows from it. Without it any bearer token is refused.
   */
  readonly tokenVerifier?: TokenVerifier;
  /** Where the service's own log lines go (default: stdout, named after the service). */
  readonly logger?: ServiceLogger;
  /** Longest wait of a 2PC participant for a stock row lock (default 2000 ms). */
  readonly lockTimeoutMs?: number;
  /**
   * kysely's log hook, called once for every SQL statement the subgraph sends (BEGIN and COMMIT
   * included): tests count statements with it, operators can log slow queries.
   */
  readonly log?: Logger;
  /**
   * The payment relay's polling interval (default 1000 ms; it also runs after every commit that
   * writes to the outbox). The relay runs when the internal secret is given, which it presents
   * to the payment provider.
   */
  readonly relayIntervalMs?: number;
  /** How often this site's heartbeat row is refreshed (default 1000 ms): the copies' age bound. */
  readonly heartbeatMs?: number;
  /**
   * How old a copy may be for a `Product` entity fetch asked of every warehouse to be answered
   * from it (default TERANGA_STOCK_COPY_MAX_AGE_MS, else 3000 ms; lib/stock-scope.ts).
   */
  readonly stockCopyMaxAgeMs?: number;
}

function mergeTypeDefs(base: DocumentNode, extra: DocumentNode | undefined): DocumentNode {
  return extra ? { ...base, definitions: [...base.definitions, ...extra.definitions] } : base;
}

function mergeResolvers(
  base: GraphQLResolverMap<RegionContext>,
  extra: GraphQLResolverMap<RegionContext> | undefined,
): GraphQLResolverMap<RegionContext> {
  const merged: GraphQLResolverMap<RegionContext> = { ...base };
  for (const [typeName, fields] of Object.entries(extra ?? {})) {
    merged[typeName] = { ...merged[typeName], ...fields } as GraphQLResolverMap<RegionContext>[string];
  }
  return merged;
}

/**
 * @example
 * const server = await createRegionServer({ topology: topologyFromEnv(), site: 'thies' });
 * const running = await server.listen(0);
 */
export async function createRegionServer(options: RegionServerOptions): Promise<SubgraphServer> {
  const { topology, site } = options;
  const typeDefs = parse(readFileSync(path.join(topology.root, 'schema', 'regions.graphql'), 'utf8'));
  // the order path reads and writes the primary; the stock display may read the standby
  const pools = createDatabasePools(topology, site, { applicationName: `teranga-region-${site}` });
  const db = new Kysely<SiteDatabase>({ dialect: new PostgresDialect({ pool: pools.primary }), log: countingLog(options.log) });
  const stockDb = new Kysely<SiteDatabase>({ dialect: new PostgresDialect({ pool: pools.replica }), log: countingLog(options.log) });
  // the background loops (relay, heartbeat) share the pool but not the log hook, so that statements
  // counted through the hook are the requests' own, whenever a loop's tick falls
  const backgroundDb = new Kysely<SiteDatabase>({ dialect: new PostgresDialect({ pool: pools.primary }) });
  const serviceLogger = options.logger ?? createLogger(`region-${site}`);
  const relay = options.internalSecret
    ? startPaymentRelay({
        db: backgroundDb,
        payments: new PaymentsClient({ topology, secret: options.internalSecret, timeoutMs: 5_000 }),
        log: (level, message, fields) => serviceLogger[level](fields ?? {}, message),
        intervalMs: options.relayIntervalMs ?? 1_000,
      })
    : null;
  const heartbeat = startHeartbeat(backgroundDb, site, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const stockCopies = new StockCopies(topology, site);
  const copyMaxAgeMs = options.stockCopyMaxAgeMs ?? stockCopyMaxAgeFromEnv();
  const destroy = async () => {
    relay?.stop();
    // before the pools close: the copies must hear that this region stopped
    await heartbeat.stop();
    await Promise.all([stockDb.destroy(), db.destroy(), stockCopies.destroy()]);
  };
  try {
    return await createSubgraphServer<RegionContext>({
      name: `region-${site}`,
      typeDefs: mergeTypeDefs(typeDefs, options.extraTypeDefs),
      resolvers: mergeResolvers(
        mergeResolvers(regionResolvers, participantResolvers({ lockTimeoutMs: options.lockTimeoutMs ?? 2_000 }, { outboxWritten: () => relay?.kick(), relayNow: async () => (relay ? (await relay.runNow()).done : 0) }) as GraphQLResolverMap<RegionContext>),
        options.extraResolvers,
      ),
      context: async ({ req, res }) => {
        const principal = principalOf(res);
        const stockScope = req.headers[STOCK_SCOPE_HEADER] === EVERY_WAREHOUSE ? 'every-warehouse' : 'own';
        return {
          site,
          db,
          loaders: createRegionLoaders(db, site, stockDb, { stockCopies, maxAgeMs: copyMaxAgeMs }),
          stockCopies,
          stockScope,
          headers: req.headers,
          principal,
          internalCaller: principal.kind === 'internal',
        };
      },
      logger: serviceLogger,
      auth: { tokenVerifier: options.tokenVerifier, internalSecret: options.internalSecret },
      metrics: Registry.merge([replicationMetrics(db, site), outboxMetrics(db, site)]),
      ready: async () => {
        await sql`SELECT 1`.execute(db);
      },
      // index.ts stops the server on SIGTERM: Apollo's own handler would end the process before
      // the heartbeat's removal reached the copies
      stopOnTerminationSignals: false,
      onStop: destroy,
    });
  } catch (error) {
    await destroy();
    throw error;
  }
}
