import type { Command } from 'commander';
import { topologyFromEnv } from '../../lib/topology.ts';
import { formatWanCounters, readWanCounters, resetWanCounters } from '../../lib/wan/counters.ts';

export function registerWan(program: Command): void {
  program
    .command('wan')
    .description('the simulated WAN of a cluster started with `up --wan`: each link\'s RTT and its counters (connections, bytes, round trips) by kind')
    .option('--json', 'print the counters as JSON')
    .option('--reset', 'zero the counters after printing them')
    .action(async (opts: { json?: boolean; reset?: boolean }) => {
      // the proxy's control port does not depend on the RTTs: ask it whatever this shell's settings
      const topology = topologyFromEnv({ ...process.env, TERANGA_WAN: '1' });
      const counters = await readWanCounters(topology).catch((error: Error) => {
        throw new Error(`no WAN proxy answers at ${topology.wan!.controlUrl} (${error.message}); start the cluster with \`teranga up --wan\``);
      });
      console.log(opts.json ? JSON.stringify(counters, null, 2) : formatWanCounters(counters));
      if (opts.reset) await resetWanCounters(topology);
    });
}
