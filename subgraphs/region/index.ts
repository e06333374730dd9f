/**
 * Runs the regional subgraph of the site named by `SITE` (dakar, thies or saint-louis) on that
 * site's port. Other environment: see topologyFromEnv(), serviceConfigFromEnv() and
 * authConfigFromEnv() (TERANGA_INTERNAL_SECRET and TERANGA_JWT_PUBLIC_KEY are required).
 */
import { authConfigFromEnv } from '../../lib/auth/auth-config.ts';
import { createTokenVerifier } from '../../lib/auth/token-verifier.ts';
import { serviceConfigFromEnv } from '../../lib/config.ts';
import { createLogger } from '../../lib/service/logger.ts';
import { isSiteId, SITE_IDS } from '../../lib/sites.ts';
import { regionService, topologyFromEnv } from '../../lib/topology.ts';
import { createRegionServer } from './server.ts';

const logger = createLogger(`region-${process.env.SITE ?? 'unknown'}`);

try {
  const site = process.env.SITE;
  if (!site) throw new Error(`Missing setting SITE (one of ${SITE_IDS.join(', ')})`);
  if (!isSiteId(site)) throw new Error(`SITE must be one of ${SITE_IDS.join(', ')}, got "${site}"`);
  const topology = topologyFromEnv();
  const service = regionService(topology, site);
  const lockTimeoutMs = process.env.TERANGA_LOCK_TIMEOUT_MS ? Number(process.env.TERANGA_LOCK_TIMEOUT_MS) : undefined;
  if (lockTimeoutMs !== undefined && !(Number.isInteger(lockTimeoutMs) && lockTimeoutMs > 0)) {
    throw new Error('TERANGA_LOCK_TIMEOUT_MS must be a positive integer');
  }
  const { internalSecret } = serviceConfigFromEnv();
  const tokenVerifier = createTokenVerifier(authConfigFromEnv());
  const server = await createRegionServer({ topology, site, internalSecret, tokenVerifier, lockTimeoutMs });
  const running = await server.listen(service.port, service.listenHost);
  logger.info({ url: running.url }, `region subgraph of ${site} ready`);

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
  logger.fatal({ err: error }, `region subgraph failed to start: ${(error as Error).message}`);
  process.exit(1);
}
