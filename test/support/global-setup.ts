/**
 * Boots the test cluster once for the whole suite (fresh data, cached initdb template) and stops
 * it afterwards, leaving nothing running. Server logs of a failed boot are printed by `up`.
 */
import { topologyFromEnv } from '../../lib/topology.ts';
import { reset, up, down } from '../../cluster/cluster.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const topology = topologyFromEnv();
  const started = Date.now();
  await reset(topology);
  const lines: string[] = [];
  try {
    // the payment provider's test settings (decline, fail, answer late) are switched at run time;
    // decision rows are kept for the whole run, so that fingerprints taken around a request do not see a purge
    await up(topology, { progress: (m) => lines.push(m), serviceEnv: { TERANGA_PAYMENTS_TEST_SETTINGS: 'on', TERANGA_DECISION_RETENTION_MS: '7200000' } });
  } catch (error) {
    console.error(lines.join('\n'));
    await down(topology).catch(() => {});
    throw error;
  }
  console.log(`[test cluster] ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${topology.dataDir})`);
  return async () => {
    await down(topology);
    await reset(topology);
  };
}
