import type { Command } from 'commander';
import { parseReplicationBenchArgs, REPLICATION_MODES, runReplicationBench } from '../../bench/replication.ts';
import { topologyFromEnv } from '../../lib/topology.ts';

/** `teranga bench-replication`: replication lag and failover time on the running local cluster (bench/replication.ts). */
export function registerBenchReplication(program: Command): void {
  program
    .command('bench-replication')
    .description('measure replication lag while orders flow (sync and async) and the failover time after kill -9 of a primary; prints figures')
    .option('--site <site>', 'the site whose primary is measured and killed', 'dakar')
    .option('--seconds <n>', 'seconds of orders per replication mode for the lag figures (0: skip)', '15')
    .option('--concurrency <n>', 'clients placing orders at once', '4')
    .option('--rounds <n>', 'failover rounds: kill, fail over, rebuild, switch back, rebuild (0: skip)', '3')
    .option('--modes <list>', `replication modes to measure the lag in, among ${REPLICATION_MODES.join(', ')}`, REPLICATION_MODES.join(','))
    .action(async (opts: { site: string; seconds: string; concurrency: string; rounds: string; modes: string }) => {
      const options = parseReplicationBenchArgs([
        '--site', opts.site, '--seconds', opts.seconds, '--concurrency', opts.concurrency, '--rounds', opts.rounds, '--modes', opts.modes,
      ]);
      await runReplicationBench(topologyFromEnv(), options);
    });
}
