import type { Command } from 'commander';
import { topologyFromEnv } from '../../lib/topology.ts';
import { destroy, down, migrateAll, up } from '../../cluster/cluster.ts';
import { readState } from '../../cluster/state.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';

const progress = (message: string) => console.log(`[teranga] ${message}`);

export function registerCluster(program: Command): void {
  program
    .command('up')
    .description('boot the local cluster (PostgreSQL servers, standbys, subgraphs, gateway) and return when ready')
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--no-services', 'start the PostgreSQL servers only')
    .option('--async-replication', 'standbys replicate asynchronously (default: synchronous)')
    .action(async (opts: { foreground?: boolean; services: boolean; asyncReplication?: boolean }) => {
      const topology = topologyFromEnv();
      try {
        await up(topology, { services: opts.services, synchronous: !opts.asyncReplication, progress });
      } catch (error) {
        if (opts.foreground) await down(topology, progress).catch(() => {});
        throw error;
      }
      const gateway = topology.services.find((s) => s.kind === 'gateway');
      if (opts.services && gateway) {
        console.log(`\nGraphQL (Apollo Sandbox): ${gateway.url}`);
        console.log(`REST:                     http://${gateway.host}:${gateway.port}/api/products`);
      }
      if (!opts.foreground) {
        console.log('Stop it with `npx teranga down`.');
        return;
      }
      console.log('Press Ctrl-C to stop the cluster.');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      console.log('');
      await down(topology, progress);
    });

  program
    .command('down')
    .description('stop every server and service of the local cluster (data is kept)')
    .action(async () => down(topologyFromEnv(), progress));

  program
    .command('destroy')
    .description('stop the local cluster and delete its data')
    .action(async () => destroy(topologyFromEnv()));

  program
    .command('migrate')
    .description('apply pending migrations to every database')
    .action(async () => {
      const topology = topologyFromEnv();
      await migrateAll(topology, readState(topology), progress);
    });

  program
    .command('status')
    .description('every server and service with its role, port, pid and replication lag')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await clusterStatus(topologyFromEnv());
      console.log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });
}
