/**
 * Boots the test cluster for the e2e tier (fresh data, cached initdb template) and stops it
 * afterwards, leaving nothing running. The boot runs in the background: vitest waits for every
 * project's global setup before it starts any file, so a boot awaited here would hold back the
 * unit files, which need no cluster. Each e2e file waits for the outcome the boot writes to
 * `bootOutcomeFile` (test/support/e2e-turns.ts). Server logs of a failed boot are in that outcome.
 */
import { rmSync } from 'node:fs';
import { topologyFromEnv } from '../../lib/topology.ts';
import { reset, up, down } from '../../cluster/cluster.ts';
import { bootOutcomeFile, writeBootOutcome } from './boot-outcome.ts';
import { clearTurns, formatTurns, readTurns } from './turns-log.ts';

export default function setup(): () => Promise<void> {
  const topology = topologyFromEnv();
  // an outcome left by an earlier run must not be taken for this one's
  rmSync(bootOutcomeFile(topology), { force: true });
  clearTurns(topology.dataDir);
  const started = Date.now();
  const lines: string[] = [];
  const boot = (async () => {
    await reset(topology);
    try {
      // the payment provider's test settings (decline, fail, answer late) are switched at run time;
      // decision rows are kept for the whole run, so that fingerprints taken around a request do not see a purge
      await up(topology, { progress: (m) => lines.push(m), serviceEnv: { TERANGA_PAYMENTS_TEST_SETTINGS: 'on', TERANGA_DECISION_RETENTION_MS: '7200000' } });
    } catch (error) {
      await down(topology).catch(() => {});
      throw error;
    }
  })().then(
    () => {
      console.log(`[test cluster] ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${topology.dataDir})`);
      writeBootOutcome(topology, { ok: true });
    },
    (error: unknown) => {
      const message = `${error instanceof Error ? error.message : String(error)}\n${lines.join('\n')}`;
      console.error(`[test cluster] boot failed: ${message}`);
      writeBootOutcome(topology, { ok: false, error: message });
    },
  );
  return async () => {
    await boot;
    const turns = readTurns(topology.dataDir);
    if (turns.length > 0) console.log(`[test cluster] ${formatTurns(turns)}`);
    await down(topology);
    await reset(topology);
    rmSync(bootOutcomeFile(topology), { force: true });
  };
}
