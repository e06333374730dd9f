/**
 * Runs the regional subgraph of the site named by `SITE` (dakar, thies or saint-louis) on that
 * site's port. Other environment: see topologyFromEnv().
 */
import { serviceConfigFromEnv } from '../../lib/config.ts';
import { isSiteId, SITE_IDS } from '../../lib/sites.ts';
import { regionService, topologyFromEnv } from '../../lib/topology.ts';
import { createRegionServer } from './server.ts';

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
  const server = await createRegionServer({ topology, site, internalSecret, lockTimeoutMs });
  const running = await server.listen(service.port, service.listenHost);
  console.log(`region subgraph of ${site} ready at ${running.url}`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`region subgraph of ${site}: ${signal} received, stopping`);
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      console.error(`region subgraph of ${site}: unclean stop`, error);
      process.exit(1);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  console.error(`region subgraph failed to start: ${(error as Error).message}`);
  process.exit(1);
}
