/**
 * The gateway's HTTP server: the public GraphQL API (Apollo Gateway inside Apollo Server, with the
 * site router for the `regions` subgraph), the REST API reading through the same pipeline, and
 * plain /health and /ready routes. Building and listening are separate so tests can start a
 * gateway in-process on any port; only index.ts reads the port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { serviceConfigFromEnv, type ServiceConfig } from '../lib/config.ts';
import { formatError } from '../lib/service/graphql-errors.ts';
import type { RunningServer } from '../lib/service/subgraph-server.ts';
import { serviceByName, subgraphService, type Topology } from '../lib/topology.ts';
import { HttpClientDirectory, type ClientDirectory } from './client-directory.ts';
import { gatewayContext, type GatewayContext } from './context.ts';
import { ForwardingDataSource } from './forwarding-data-source.ts';
import { checkSubgraphs } from './readiness.ts';
import { requestId, requestIdOf } from './request-id.ts';
import { restApi } from './rest/router.ts';
import { routingLogPlugin } from './routing-log.ts';
import { SiteRouterDataSource } from './site-router.ts';
import { composeSupergraph } from './supergraph.ts';

export interface GatewayOptions {
  readonly topology: Topology;
  /** A prebuilt supergraph; composed from schema/*.graphql when absent. */
  readonly supergraphSdl?: string;
  /** Defaults to the settings in the environment. */
  readonly config?: ServiceConfig;
  /** Defaults to the orders service's client directory. */
  readonly directory?: ClientDirectory;
  /** Deadline of one subgraph request. */
  readonly subgraphTimeoutMs?: number;
}

export interface GatewayServer {
  readonly app: express.Express;
  readonly apollo: ApolloServer<GatewayContext>;
  listen(port: number, host?: string): Promise<RunningServer>;
}

/** The orders service's client directory endpoint. */
export function clientDirectoryUrl(topology: Topology): string {
  const orders = serviceByName(topology, 'orders');
  return `http://${orders.host}:${orders.port}/internal/client-sites`;
}

export async function createGateway(options: GatewayOptions): Promise<GatewayServer> {
  // otherwise @apollo/gateway probes cloud metadata services and reports to Apollo's servers
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const { topology } = options;
  const config = options.config ?? serviceConfigFromEnv();
  const directory =
    options.directory ?? new HttpClientDirectory({ url: clientDirectoryUrl(topology), internalSecret: config.internalSecret });
  const supergraphSdl = options.supergraphSdl ?? (await composeSupergraph(topology));

  const gateway = new ApolloGateway({
    supergraphSdl,
    // URLs come from the topology, not the supergraph: the same supergraph serves every network
    buildService: ({ name }) => {
      const timeoutMs = options.subgraphTimeoutMs;
      if (name === 'regions') return new SiteRouterDataSource({ topology, directory, timeoutMs });
      if (name !== 'products' && name !== 'orders') throw new Error(`Unknown subgraph "${name}" in the supergraph`);
      return new ForwardingDataSource({ subgraph: name, url: subgraphService(topology, name).url, timeoutMs });
    },
  });

  const app = express();
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError,
    introspection: true,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      routingLogPlugin(),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.use(requestId());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/ready', async (_req, res) => {
    const report = await checkSubgraphs(topology);
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ready' : 'unavailable',
      service: 'gateway',
      failed: report.services.filter((s) => !s.ok),
    });
  });
  app.use('/api', restApi(apollo));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async ({ req, res }) => gatewayContext(req.headers, requestIdOf(res)) }),
  );

  return {
    app,
    apollo,
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
