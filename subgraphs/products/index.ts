/**
 * Runs a site's products subgraph (TERANGA_SERVICE: `products-subgraph`, Dakar's, or `products-<site>`). Environment: see topologyFromEnv()
 * and authConfigFromEnv() (TERANGA_JWT_PUBLIC_KEY is required).
 */
import { authConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../../lib/auth/token-verifier.ts';
import { createLogger } from '../../lib/service/logger.ts';
import { catalogCopySites, productsNames, selfService, topologyFromEnv } from '../../lib/topology.ts';
import { createProductsServer } from './server.ts';

const logger = createLogger('products');

try {
  const topology = topologyFromEnv();
  // one per site (TERANGA_SERVICE says which); outside the products database's city, it reads the site's copy
  const service = selfService(topology, productsNames());
  const site = service.site ?? 'dakar';
  const copyAt = catalogCopySites(topology).includes(site) ? site : null;
  const tokenVerifier = createTokenVerifier(authConfigFromEnv());
  const server = await createProductsServer({ topology, tokenVerifier, copyAt });
  const running = await server.listen(service.port, service.listenHost);
  logger.info({ url: running.url }, 'products subgraph ready');

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
  logger.fatal({ err: error }, `products subgraph failed to start: ${(error as Error).message}`);
  process.exit(1);
}
