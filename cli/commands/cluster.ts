import type { Command } from 'commander';
import { topologyFromEnv } from '../../lib/topology.ts';
import { destroy, down, migrateAll, up } from '../../cluster/cluster.ts';
import { databaseNamed, failover } from '../../cluster/failover.ts';
import { monitorPrimaries } from '../../cluster/failover-monitor.ts';
import { rebuildStandby } from '../../cluster/rebuild-standby.ts';
import { readState } from '../../cluster/state.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';

const progress = (message: string) => console.log(`[teranga] ${message}`);

export function registerCluster(program: Command): void {
  program
    .command('up')
    .description('boot the local cluster (PostgreSQL servers, standbys, subgraphs, gateway) and return when ready')
    .option('--foreground', 'stay attached; Ctrl-C stops everything')
    .option('--no-services', 'start the PostgreSQL servers only')
    .option('--async-replication', 'standbys replicate asynchronously: commits do not wait for them (also switches a running cluster)')
    .option('--sync-replication', 'commits wait until the standby has applied them (the default for a new cluster; also switches a running cluster)')
    .action(async (opts: { foreground?: boolean; services: boolean; asyncReplication?: boolean; syncReplication?: boolean }) => {
      const topology = topologyFromEnv();
      if (opts.asyncReplication && opts.syncReplication) throw new Error('--async-replication and --sync-replication exclude each other');
      // neither flag: keep the mode the cluster already runs in
      const synchronous = opts.asyncReplication ? false : opts.syncReplication ? true : undefined;
      try {
        await up(topology, { services: opts.services, synchronous, progress });
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
        // the servers and services run detached: without a timer of its own, nothing would keep
        // this process alive to hear the Ctrl-C
        const alive = setInterval(() => {}, 60_000);
        const stop = () => {
          clearInterval(alive);
          resolve();
        };
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
    .command('failover')
    .argument('<database>', 'the database whose standby takes over: products, dakar, thies, saint-louis or coordinator (a server name works too)')
    .description("promote the database's standby to primary, fencing the old primary; the services follow by themselves")
    .action(async (name: string) => {
      const topology = topologyFromEnv();
      const report = await failover(topology, databaseNamed(topology, name), progress);
      console.log(`${report.promoted} is now the primary of ${report.database} (promoted in ${report.promoteMs} ms, ${report.totalMs} ms in all).`);
      console.log(`Rebuild a standby with \`teranga rebuild-standby ${report.database}\`.`);
    });

  program
    .command('monitor')
    .description('fail a database over by itself when its primary stops answering (runs until Ctrl-C)')
    .option('--interval <ms>', 'time between two probes of every primary', '500')
    .option('--misses <n>', 'probes in a row a primary must miss before its standby is promoted', '3')
    .action(async (opts: { interval: string; misses: string }) => {
      const intervalMs = Number(opts.interval);
      const misses = Number(opts.misses);
      if (!Number.isInteger(intervalMs) || intervalMs < 50) throw new Error('--interval must be a whole number of milliseconds, at least 50');
      if (!Number.isInteger(misses) || misses < 1) throw new Error('--misses must be a positive whole number');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await monitorPrimaries(topologyFromEnv(), { intervalMs, misses, progress, signal: stop.signal });
    });

  program
    .command('rebuild-standby')
    .argument('<database>', 'the database whose second server is re-cloned from its current primary')
    .description('re-clone the server that is not the primary (after a failover, the old primary) as a streaming standby')
    .action(async (name: string) => {
      const topology = topologyFromEnv();
      const report = await rebuildStandby(topology, databaseNamed(topology, name), progress);
      console.log(`${report.standby} streams from ${report.primary} again (copy ${report.copyMs} ms, ${report.totalMs} ms in all).`);
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
