/**
 * The HTTP server every subgraph runs: Apollo Server 5 with a federation subgraph schema on
 * /graphql, plus plain /health and /ready routes that health checks can call without CSRF headers,
 * and /metrics for Prometheus. Every request gets a request id (the caller's `x-request-id`, as the
 * gateway forwards it), a log line and a latency sample; /graphql establishes who the caller is
 * (see caller.ts) before any resolver runs.
 * Building and listening are separate so tests can start a subgraph in-process on any port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext, type ContextFunction } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware, type ExpressContextFunctionArgument } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import express from 'express';
import type { DocumentNode } from 'graphql';
import type { Registry } from 'prom-client';
import { identifyCaller, type CallerAuthentication } from './caller.ts';
import { apolloLogger, errorLoggingPlugin } from './error-logging.ts';
import { errorFormatter, isDebug, isDevelopment } from './graphql-errors.ts';
import { bodyErrors, jsonBody, lastResortErrors, requireJsonPost } from './http-guards.ts';
import { observeRequests } from './http-observability.ts';
import { createLogger, type Logger } from './logger.ts';
import { metricsEndpoint } from './metrics.ts';
import { assignRequestId, enterRequestScope } from './request-context.ts';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  /** Reads the caller with `principalOf(res)`. */
  context: ContextFunction<[ExpressContextFunctionArgument], TContext>;
  /** How callers prove who they are: the token verifier and the internal secret. */
  auth: CallerAuthentication;
  /** Default: a logger named after the subgraph. */
  logger?: Logger;
  /** Metrics of this server alone (read at scrape time), served with the process's on /metrics. */
  metrics?: Registry;
  /** Stack traces in answers (default: unless NODE_ENV is production). */
  development?: boolean;
  /** Readiness: resolves when the subgraph can serve (its database answers). */
  ready?: () => Promise<void>;
  /** Extra routes (internal endpoints), mounted before /graphql. */
  routes?: (app: express.Express) => void;
  /**
   * Whether Apollo Server stops (then re-raises) on SIGTERM and SIGINT itself (default true).
   * A process whose own handler calls `stop()` says false: the re-raised signal would end the
   * process before `onStop` has finished.
   */
  stopOnTerminationSignals?: boolean;
  /** Closes pools and timers on stop. */
  onStop?: () => Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface SubgraphServer {
  readonly app: express.Express;
  readonly logger: Logger;
  listen(port: number, host?: string): Promise<RunningServer>;
}

const BODY_LIMIT = '1mb';

export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const logger = options.logger ?? createLogger(options.name);
  const development = options.development ?? isDevelopment();
  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<TContext>({
    // the subgraph helper types resolvers with an unknown context; the context function above types ours
    schema: buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError: errorFormatter({ development, debug: isDebug() }),
    includeStacktraceInErrorResponses: isDebug(),
    introspection: true,
    logger: apolloLogger(logger),
    ...(options.stopOnTerminationSignals === undefined ? {} : { stopOnTerminationSignals: options.stopOnTerminationSignals }),
    // no cache hints are set: computing a cache policy would visit every resolved field for nothing
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginCacheControlDisabled(), errorLoggingPlugin<TContext>(logger)],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(assignRequestId(), observeRequests(options.name, logger));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: options.name });
  });
  app.get('/ready', async (_req, res) => {
    try {
      await options.ready?.();
      res.json({ status: 'ready', service: options.name });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', service: options.name, reason: (error as Error).message });
    }
  });
  app.get('/metrics', metricsEndpoint(options.metrics));
  options.routes?.(app);
  app.use(
    '/graphql',
    requireJsonPost(),
    jsonBody(BODY_LIMIT),
    bodyErrors(BODY_LIMIT),
    enterRequestScope(),
    identifyCaller(options.auth),
    expressMiddleware(apollo, { context: options.context }),
  );
  app.use(lastResortErrors(logger));

  return {
    app,
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
          await options.onStop?.();
        },
      };
    },
  };
}
