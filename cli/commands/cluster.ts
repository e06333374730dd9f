import type { Command } from 'commander';
import { topologyFromEnv } from '../../lib/topology.ts';
import { destroy, down, migrateAll, stopProcess, stopStarted, up, type Started } from '../../cluster/cluster.ts';
import { ensureLogicalCopies } from '../../cluster/logical-copies.ts';
import { isRebuildPending } from '../../cluster/running-topology.ts';
import { SUPERVISOR_ENTRY } from '../../cluster/services.ts';
import { ensureSupervisor } from '../../cluster/supervisor.ts';
import { copiesResubscribed, databaseNamed, failover } from '../../cluster/failover.ts';
import { monitorPrimaries } from '../../cluster/failover-monitor.ts';
import { rebuildStandby } from '../../cluster/rebuild-standby.ts';
import { readState, updateState } from '../../cluster/state.ts';
import { wanModeFromEnv } from '../../cluster/wan-mode.ts';
import { clusterStatus, formatStatus } from '../../cluster/status.ts';

const progress = (message: string) => console.log(`[teranga] ${message}`);

export function registerCluster(program: Command): void {
  program
    .command('up')
    .description('boot the local cluster (PostgreSQL servers, standbys, subgraphs, gateway) and return when ready')
    .option('--foreground', 'stay attached; Ctrl-C stops what this launcher started (everything, unless the cluster was already running)')
    .option('--no-services', 'start the PostgreSQL servers only')
    .option('--async-replication', 'standbys replicate asynchronously: commits do not wait for them (also switches a running cluster)')
    .option('--wan', 'simulate the WAN: every connection between processes of different cities crosses a delay proxy with that pair\'s RTT (lib/wan/model.ts; TERANGA_WAN_RTT_MS overrides); `teranga wan` shows the links')
    .option('--sync-replication', 'commits wait until the standby has applied them (the default for a new cluster; also switches a running cluster)')
    .action(async (opts: { foreground?: boolean; services: boolean; wan?: boolean; asyncReplication?: boolean; syncReplication?: boolean }) => {
      // inherited by the supervisor and every service it starts
      if (opts.wan) process.env.TERANGA_WAN = '1';
      const topology = topologyFromEnv();
      if (opts.asyncReplication && opts.syncReplication) throw new Error('--async-replication and --sync-replication exclude each other');
      // neither flag: keep the mode the cluster already runs in
      const synchronous = opts.asyncReplication ? false : opts.syncReplication ? true : undefined;
      const attachedAt = new Date().toISOString();
      const started: Started = { postgres: [], services: [] };
      // a failed up stops what it started itself and says what to do (UpFailedError)
      await up(topology, { services: opts.services, synchronous, progress, started });
      // remembered for the next plain `teranga up` and every other command (cluster/wan-mode.ts)
      updateState(topology, (state) => {
        const mode = wanModeFromEnv(process.env);
        if (mode) state.wan = mode;
        else delete state.wan;
      });
      const supervisor = opts.services ? ensureSupervisor(topology) : null;
      if (supervisor) progress(`supervisor: ${supervisor.started ? 'watching the services' : 'already running'} (pid ${supervisor.pid}); it restarts a service that crashes`);
      const gateway = topology.services.find((s) => s.kind === 'gateway');
      if (opts.services && gateway) {
        const base = `http://${gateway.host}:${gateway.port}`;
        console.log(`\nStart here:               ${base}/`);
        console.log(`GraphQL (Apollo Sandbox): ${gateway.url}`);
        console.log(`GraphiQL (offline):       ${base}/graphiql`);
        console.log(`REST:                     ${base}/api/products`);
        console.log(`Console (admin token):    ${base}/console`);
      }
      if (!opts.foreground) {
        console.log('Stop it with `npx teranga down`.');
        return;
      }
      const state = readState(topology);
      const startedCount = started.postgres.length + started.services.length;
      const expected = topology.postgres.filter((s) => !isRebuildPending(state, s.name)).length + (opts.services ? topology.services.length : 0);
      // listening before saying so: a Ctrl-C right after the message must find the handler
      const stopped = new Promise<'signal' | 'down'>((resolve) => {
        // also keeps this process alive: the servers and services run detached
        const watch = setInterval(() => {
          const stoppedAt = readState(topology)?.stoppedAt;
          if (stoppedAt && stoppedAt > attachedAt) finish('down');
        }, 500);
        const finish = (why: 'signal' | 'down') => {
          clearInterval(watch);
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(why);
        };
        const onSignal = () => finish('signal');
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
      if (startedCount === expected) {
        console.log('Press Ctrl-C to stop the cluster.');
      } else if (startedCount === 0) {
        console.log('The cluster was already running: attached to it. Ctrl-C detaches and leaves it running (`npx teranga down` stops it).');
      } else {
        console.log(`Press Ctrl-C to stop what this launcher started (${[...started.services, ...started.postgres].join(', ')}); the rest was already running and keeps running.`);
      }
      const reason = await stopped;
      console.log('');
      if (reason === 'down') {
        console.log('The cluster was stopped (`teranga down`); leaving.');
        return;
      }
      if (startedCount === expected) {
        await down(topology, progress);
        return;
      }
      if (supervisor?.started) {
        const record = readState(topology)?.supervisor;
        if (record && (await stopProcess(record, SUPERVISOR_ENTRY))) progress('supervisor: stopped');
        updateState(topology, (s) => {
          if (s.supervisor?.pid === record?.pid) delete s.supervisor;
        });
      }
      await stopStarted(topology, started, progress);
      console.log(startedCount === 0 ? 'Detached; the cluster keeps running.' : 'Stopped what this launcher started; the rest keeps running.');
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
    .description("apply pending migrations to every database, then subscribe the sites' local copies")
    .action(async () => {
      const topology = topologyFromEnv();
      const state = readState(topology);
      await migrateAll(topology, state, progress);
      // compose's one-shot migrate job runs this too: the copies are part of what the code expects
      await ensureLogicalCopies(topology, state, progress);
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
      progress('re-subscribing the local copies to the promoted publisher (once its prepared transactions are settled)');
      await copiesResubscribed();
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
