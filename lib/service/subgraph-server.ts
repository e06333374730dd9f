/**
 * The HTTP server every subgraph runs: Apollo Server 5 with a federation subgraph schema on
 * /graphql, plus plain /health and /ready routes that health checks can call without CSRF headers.
 * Building and listening are separate so tests can start a subgraph in-process on any port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type BaseContext, type ContextFunction } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware, type ExpressContextFunctionArgument } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import express from 'express';
import type { DocumentNode } from 'graphql';
import { formatError } from './graphql-errors.ts';

export interface SubgraphServerOptions<TContext extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  context: ContextFunction<[ExpressContextFunctionArgument], TContext>;
  /** Readiness: resolves when the subgraph can serve (its database answers). */
  ready?: () => Promise<void>;
  /** Extra routes (internal endpoints), mounted before /graphql. */
  routes?: (app: express.Express) => void;
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
  listen(port: number, host?: string): Promise<RunningServer>;
}

export async function createSubgraphServer<TContext extends BaseContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<SubgraphServer> {
  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<TContext>({
    // the subgraph helper types resolvers with an unknown context; the context function above types ours
    schema: buildSubgraphSchema({ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError,
    introspection: true,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await apollo.start();

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
  options.routes?.(app);
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(apollo, { context: options.context }));

  return {
    app,
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
