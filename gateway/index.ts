/**
 * Starts the gateway on the topology's gateway port. Environment, besides topologyFromEnv()'s:
 * - `TERANGA_INTERNAL_SECRET` (required): authenticates the gateway to the client directory;
 * - `TERANGA_JWT_PUBLIC_KEY` (required), `TERANGA_JWT_ISSUER`, `TERANGA_JWT_AUDIENCE`: verify the
 *   callers' tokens (lib/auth/auth-config.ts);
 * - `NODE_ENV=production`: no stack traces, introspection, Sandbox or field suggestions;
 * - `SUPERGRAPH_FILE`: serve this prebuilt Federation 2 supergraph instead of composing
 *   schema/*.graphql at start; `TERANGA_SUBGRAPH_URLS` (`name=url,…`) overrides the URLs it gives,
 *   `TERANGA_SHARDED_SUBGRAPH` (default `regions`) names the subgraph routed by site
 *   (supergraph-config.ts);
 * - `TERANGA_SUBGRAPH_TIMEOUT_MS` (default 15000): deadline of one subgraph request, after which
 *   its fields get SITE_UNAVAILABLE;
 * - `TERANGA_ENTITY_CACHE_MS` (default 2000, 0 turns it off): how long the gateway reuses the
 *   products subgraph's answers, so how stale a catalogue's names and prices may be
 *   (entity-cache.ts).
 */
import { readFile } from 'node:fs/promises';
import { authConfigFromEnv } from '../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../lib/auth/token-verifier.ts';
import { serviceConfigFromEnv } from '../lib/config.ts';
import { createLogger } from '../lib/service/logger.ts';
import { gatewayNames, selfService, siteCoordinator, siteProducts, topologyFromEnv } from '../lib/topology.ts';
import { DEFAULT_ENTITY_CACHE_TTL_MS } from './entity-cache.ts';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS } from './forwarding-data-source.ts';
import { createGateway } from './server.ts';
import { supergraphSettingsFromEnv } from './supergraph-config.ts';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const logger = createLogger(process.env.TERANGA_SERVICE?.startsWith('gateway') ? process.env.TERANGA_SERVICE : 'gateway');

function timeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.TERANGA_SUBGRAPH_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_SUBGRAPH_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`TERANGA_SUBGRAPH_TIMEOUT_MS must be a positive number of milliseconds, got "${raw}"`);
  return value;
}

function entityCacheTtlFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.TERANGA_ENTITY_CACHE_MS;
  if (raw === undefined || raw === '') return DEFAULT_ENTITY_CACHE_TTL_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`TERANGA_ENTITY_CACHE_MS must be a non-negative number of milliseconds, got "${raw}"`);
  return value;
}

try {
  const topology = topologyFromEnv();
  const config = serviceConfigFromEnv();
  const tokenVerifier = createTokenVerifier(authConfigFromEnv());
  const subgraphTimeoutMs = timeoutFromEnv(process.env);
  const settings = supergraphSettingsFromEnv(process.env);
  const supergraphFile = settings.file;
  const supergraphSdl = supergraphFile ? await readFile(supergraphFile, 'utf8') : undefined;
  // one gateway per site (TERANGA_SERVICE says which); each uses its own site's coordinator and catalogue
  const self = selfService(topology, gatewayNames());
  const coordinator = siteCoordinator(topology, self.site ?? 'dakar');
  const products = siteProducts(topology, self.site ?? 'dakar');

  const gateway = await createGateway({
    topology,
    config,
    tokenVerifier,
    supergraphSdl,
    subgraphUrls: { products: products.url, orders: coordinator.url, ...settings.subgraphUrls },
    coordinator,
    site: self.site ?? 'dakar',
    shardedSubgraph: settings.shardedSubgraph,
    subgraphTimeoutMs,
    entityCache: { subgraphs: ['products'], ttlMs: entityCacheTtlFromEnv(process.env) },
    logger,
  });
  // in a container the gateway must answer on every interface; locally, only where the topology says
  const host = topology.network === 'compose' ? '0.0.0.0' : self.host;
  const running = await gateway.listen(self.port, host);
  const origin = `http://${self.host}:${running.port}`;
  logger.info(
    {
      graphql: `${origin}/graphql`,
      rest: `${origin}/api`,
      docs: `${origin}/api/docs/`,
      metrics: `${origin}/metrics`,
      supergraph: supergraphFile ?? 'composed from schema/*.graphql',
    },
    'gateway ready',
  );

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean stop');
      process.exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  logger.fatal({ err: error }, `gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
}
