/**
 * The gateway's HTTP server: the public GraphQL API (Apollo Gateway inside Apollo Server, with the
 * site router for the `regions` subgraph), the REST API reading through the same pipeline, and
 * plain /health, /ready and /metrics routes. Building and listening are separate so tests can start
 * a gateway in-process on any port; only index.ts reads the port.
 *
 * In front of GraphQL and REST, in this order: a request id, a log line and a latency sample per
 * request; the HTTP guards (JSON only, body size, parse errors); the caller's token verified
 * (authentication.ts); then the query limits inside Apollo Server (query-limits.ts), before any
 * subgraph is called.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { authConfigFromEnv } from '../lib/auth/auth-config.ts';
import { createTokenVerifier, type TokenVerifier } from '../lib/auth/token-verifier.ts';
import { serviceConfigFromEnv, type ServiceConfig } from '../lib/config.ts';
import { principalOf } from '../lib/service/caller.ts';
import { apolloLogger, errorLoggingPlugin } from '../lib/service/error-logging.ts';
import { errorFormatter, isDebug, isDevelopment } from '../lib/service/graphql-errors.ts';
import { bodyErrors, jsonBody, lastResortErrors, requireJsonPost } from '../lib/service/http-guards.ts';
import { observeRequests } from '../lib/service/http-observability.ts';
import { createLogger, type Logger } from '../lib/service/logger.ts';
import { metricsEndpoint } from '../lib/service/metrics.ts';
import { assignRequestId, enterRequestScope, requestIdOf } from '../lib/service/request-context.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { serviceByName, type NodeService, type SiteId, type Topology } from '../lib/topology.ts';
import { REGIONS_ROUTING } from '../schema/regions.routing.ts';
import { authenticateCaller } from './authentication.ts';
import { HttpClientDirectory, type ClientDirectory } from './client-directory.ts';
import { gatewayContext, type GatewayContext } from './context.ts';
import { CachedDataSource } from './cached-data-source.ts';
import { DEFAULT_ENTITY_CACHE_TTL_MS, EntityCache } from './entity-cache.ts';
import { ForwardingDataSource, type SubgraphResponse } from './forwarding-data-source.ts';
import { withoutSiteOfData } from './error-privacy.ts';
import { DEFAULT_QUERY_LIMITS, queryLimits, type QueryLimits } from './query-limits.ts';
import { activityPlugin, RecentActivity } from './console/activity.ts';
import { consoleRouter } from './console/router.ts';
import { graphiqlRouter } from './graphiql/router.ts';
import { landingPage } from './landing.ts';
import { checkSubgraphs, readinessTargets } from './readiness.ts';
import { restApi } from './rest/router.ts';
import { routingLogPlugin } from './routing-log.ts';
import { checkShardingRules, type ShardingRules } from './sharding-rules.ts';
import { SiteRouterDataSource } from './site-router.ts';
import { composeSupergraph } from './supergraph.ts';
import { DEFAULT_SHARDED_SUBGRAPH, resolveSubgraphUrls, supergraphSubgraphs } from './supergraph-config.ts';

export interface GatewayOptions {
  readonly topology: Topology;
  /** A prebuilt supergraph (any Federation 2 supergraph); composed from schema/*.graphql when absent. */
  readonly supergraphSdl?: string;
  /** Subgraph URLs overriding the supergraph's, by subgraph name (TERANGA_SUBGRAPH_URLS). */
  readonly subgraphUrls?: Readonly<Record<string, string>>;
  /** The subgraph served by one process per site, routed by value (default `regions`); absent from the supergraph, nothing is. */
  readonly shardedSubgraph?: string;
  /** Routing keys and merge rules of the sharded subgraph (default schema/regions.routing.ts). */
  readonly shardingRules?: ShardingRules;
  /** Defaults to the settings in the environment. */
  readonly config?: ServiceConfig;
  /** Verifies callers' tokens; defaults to the key in the environment (TERANGA_JWT_PUBLIC_KEY). */
  readonly tokenVerifier?: TokenVerifier;
  /** The site this gateway serves: fields any site answers alike are read there. */
  readonly site?: SiteId;
  /** The order coordinator of this gateway's site (default: Dakar's): its client directory. */
  readonly coordinator?: NodeService;
  /** Defaults to the coordinator's client directory. */
  readonly directory?: ClientDirectory;
  /** Deadline of one subgraph request. */
  readonly subgraphTimeoutMs?: number;
  readonly limits?: QueryLimits;
  /**
   * Subgraphs whose query answers are the same for every caller, reused for `ttlMs`
   * (entity-cache.ts; default: `products` for this project's supergraph, none for another;
   * DEFAULT_ENTITY_CACHE_TTL_MS; ttlMs 0 turns it off).
   */
  readonly entityCache?: { readonly subgraphs: readonly string[]; readonly ttlMs: number };
  /** Stack traces, introspection, the Sandbox and field suggestions (default: unless NODE_ENV is production). */
  readonly development?: boolean;
  readonly logger?: Logger;
}

export interface GatewayServer {
  readonly app: express.Express;
  readonly apollo: ApolloServer<GatewayContext>;
  readonly logger: Logger;
  listen(port: number, host?: string): Promise<RunningServer>;
}

/** A GraphQL request is small: the largest legitimate one, an order of 100 lines, is about 5 kB. */
export const GRAPHQL_BODY_LIMIT = '100kb';

/** The client directory endpoint of an order coordinator (default: Dakar's). */
export function clientDirectoryUrl(topology: Topology, coordinator: NodeService = serviceByName(topology, 'orders')): string {
  const orders = coordinator;
  return `http://${orders.host}:${orders.port}/internal/client-sites`;
}

export async function createGateway(options: GatewayOptions): Promise<GatewayServer> {
  // otherwise @apollo/gateway probes cloud metadata services and reports to Apollo's servers
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const { topology } = options;
  const logger = options.logger ?? createLogger('gateway');
  const development = options.development ?? isDevelopment();
  const config = options.config ?? serviceConfigFromEnv();
  const tokenVerifier = options.tokenVerifier ?? createTokenVerifier(authConfigFromEnv());
  const directory =
    options.directory ?? new HttpClientDirectory({ url: clientDirectoryUrl(topology, options.coordinator), internalSecret: config.internalSecret });
  const supergraphSdl = options.supergraphSdl ?? (await composeSupergraph(topology));
  const limits = queryLimits<GatewayContext>(options.limits ?? DEFAULT_QUERY_LIMITS, { development });

  const sharded = options.shardedSubgraph ?? DEFAULT_SHARDED_SUBGRAPH;
  const rules = options.shardingRules ?? REGIONS_ROUTING;
  // every subgraph at the supergraph's URL (composed here, the topology's) unless the mapping says otherwise
  const urls = resolveSubgraphUrls(supergraphSdl, options.subgraphUrls ?? {}, sharded);
  const servesSharded = supergraphSubgraphs(supergraphSdl).has(sharded);
  if (servesSharded) checkShardingRules(supergraphSdl, sharded, rules);
  // the topology's processes when the supergraph is this project's; a foreign subgraph at its own URL
  const readiness = servesSharded ? readinessTargets(topology, urls) : readinessTargets({ ...topology, services: [] }, urls);

  // a foreign supergraph's answers may depend on the caller: cached only when asked for
  const entityCache = options.entityCache ?? { subgraphs: servesSharded ? ['products'] : [], ttlMs: DEFAULT_ENTITY_CACHE_TTL_MS };
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const timeoutMs = options.subgraphTimeoutMs;
      // the sharded subgraph's URL in the supergraph is a placeholder: each site has its own (the topology's)
      if (name === sharded) return new SiteRouterDataSource({ topology, directory, rules, subgraph: name, timeoutMs, logger, homeSite: options.site });
      const url = urls.get(name);
      if (!url) throw new Error(`Subgraph "${name}" has no URL`);
      if (entityCache.ttlMs > 0 && entityCache.subgraphs.includes(name)) {
        return new CachedDataSource({ subgraph: name, url, timeoutMs, cache: new EntityCache<SubgraphResponse>({ ttlMs: entityCache.ttlMs }) });
      }
      return new ForwardingDataSource({ subgraph: name, url, timeoutMs });
    },
  });

  const activity = new RecentActivity();
  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: withoutSiteOfData(errorFormatter({ development, debug: isDebug() })),
    includeStacktraceInErrorResponses: isDebug(),
    introspection: development,
    csrfPrevention: true,
    logger: apolloLogger(logger),
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // no cache hints are set: computing a cache policy would visit every resolved field for nothing
      ApolloServerPluginCacheControlDisabled(),
      ...(development ? [ApolloServerPluginLandingPageLocalDefault({ embed: true })] : []),
      routingLogPlugin(),
      activityPlugin(activity),
      ...limits.plugins,
      errorLoggingPlugin<GatewayContext>(logger),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(assignRequestId(), observeRequests('gateway', logger));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/ready', async (_req, res) => {
    const report = await checkSubgraphs(topology, undefined, readiness);
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : 'unavailable',
      service: 'gateway',
      failed: report.services.filter((s) => !s.ok),
    });
  });
  app.get('/metrics', metricsEndpoint());
  // the front page, GraphiQL and the console: pages and bundles served from node_modules, no CDN
  app.get('/', landingPage());
  app.use(graphiqlRouter());
  app.use(consoleRouter({ topology, internalSecret: config.internalSecret, activity, tokenVerifier }));
  app.use('/api', enterRequestScope(), authenticateCaller(tokenVerifier, 'rest'), restApi(apollo, logger));
  app.use(
    '/graphql',
    requireJsonPost(),
    jsonBody(GRAPHQL_BODY_LIMIT),
    bodyErrors(GRAPHQL_BODY_LIMIT),
    enterRequestScope(),
    authenticateCaller(tokenVerifier, 'graphql'),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => gatewayContext(req.headers, requestIdOf(res), principalOf(res)),
    }),
  );
  app.use(lastResortErrors(logger));

  return {
    app,
    apollo,
    logger,
    async listen(port, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve());
      });
      const actual = (httpServer.address() as AddressInfo).port;
      return {
        url: `http://${host}:${actual}/graphql`,
        port: actual,
        async stop() {
          await apollo.stop();
        },
      };
    },
  };
}
