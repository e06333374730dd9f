/**
 * The local cluster: every PostgreSQL server of the topology (primaries and standbys), migrated
 * and seeded, then the Node services. `up` is idempotent: a second call reuses the data and
 * starts only what is not running.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import { ensureForeignServers } from '../lib/foreign-servers.ts';
import { migrate } from '../lib/migrations.ts';
import { connectionString, DATABASE_ROLES, type DatabaseRole, type NodeService, type PostgresServer, type Topology } from '../lib/topology.ts';
import { ensureLogicalCopies } from './logical-copies.ts';
import { findPgBinaries, type PgBinaries } from './pg-binaries.ts';
import { canAccess, chownTree, serverIdentity, type RunAs } from './os-user.ts';
import {
  createDataDir, initTemplate, isPortFree, postmasterPid, slotName, startServer, stopServer, tail, writeServerConfig,
} from './postgres-server.ts';
import { currentPrimary, isRebuildPending, runningTopology, serversInRoleOrder } from './running-topology.ts';
import { readState, updateState, writeState, type ClusterState, type ServiceRecord } from './state.ts';
import { isSameProcess, recordProcess, type ProcessRecord } from './process-identity.ts';

import { serviceEnv, SUPERVISOR_ENTRY, waitForHealth } from './services.ts';
import { CLI_ENTRY, ensureServiceBundles, serviceCommand } from './service-build.ts';

export type Progress = (message: string) => void;

export interface UpOptions {
  /** Start the Node services too (default true). */
  services?: boolean;
  /**
   * Replication mode: true for synchronous standbys, false for asynchronous ones. Applied to
   * running servers too (their configuration is reloaded); unset keeps the cluster's current
   * mode (synchronous for a new cluster).
   */
  synchronous?: boolean;
  progress?: Progress;
  /** Extra environment for the services (tests use it for fault injection). */
  serviceEnv?: Record<string, string>;
  /** Told what this call started (not what was already running), also when it fails. */
  started?: Started;
}

/** What one `up` started, so that its caller can stop exactly that and nothing else. */
export interface Started {
  postgres: string[];
  services: string[];
}

/** A failed `up`: the cause, what was stopped again, and what to do. */
export class UpFailedError extends Error {
  constructor(cause: Error, readonly stopped: Started, hint: string) {
    const undone = [...stopped.services, ...stopped.postgres];
    const cleanup = undone.length > 0 ? `Stopped what this \`up\` had started (${undone.join(', ')}); the data is kept.` : 'Nothing was started; the data is kept.';
    super([cause.message, cleanup, hint].filter((line) => line !== '').join('\n'));
  }
}

interface Context {
  topology: Topology;
  bins: PgBinaries;
  who: RunAs | null;
  pgRoot: string;
  state: ClusterState;
  started: Started;
  /** Set once a step has failed: the steps still running give up and print nothing more. */
  failed: boolean;
}

export function serverDataDir(pgRoot: string, server: PostgresServer | string): string {
  return path.join(pgRoot, typeof server === 'string' ? server : server.name);
}

export function serverLogFile(topology: Topology, name: string): string {
  return path.join(topology.dataDir, 'logs', `${name}.log`);
}

/**
 * Where the data directories go. Under the data dir, unless the servers' user cannot reach it
 * (a checkout under /root, say): then under /var/tmp, keyed by the data dir's path.
 */
function choosePgRoot(topology: Topology, who: RunAs | null): string {
  const preferred = path.join(topology.dataDir, 'pg');
  mkdirSync(preferred, { recursive: true });
  if (canAccess(who, topology.dataDir, 'x')) return preferred;
  const key = createHash('sha256').update(topology.dataDir).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `teranga-${key}`, 'pg');
}

/** Binaries the servers' user can execute: copied next to the data when node_modules is out of its reach. */
function reachableBinaries(bins: PgBinaries, who: RunAs | null, pgRoot: string): PgBinaries {
  if (canAccess(who, bins.postgres, 'x')) return bins;
  const nativeDir = path.dirname(bins.dir);
  const copy = path.join(path.dirname(pgRoot), 'native');
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) cpSync(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
  chownTree(who, copy);
  const dir = path.join(copy, 'bin');
  return { ...bins, dir, initdb: path.join(dir, 'initdb'), pgCtl: path.join(dir, 'pg_ctl'), postgres: path.join(dir, 'postgres') };
}

function context(topology: Topology, synchronous: boolean | undefined): Context {
  const who = serverIdentity();
  mkdirSync(path.join(topology.dataDir, 'logs'), { recursive: true });
  const previous = readState(topology);
  const pgRoot = previous?.pgRoot ?? choosePgRoot(topology, who);
  mkdirSync(pgRoot, { recursive: true });
  if (who) {
    chownTree(who, path.join(topology.dataDir, 'logs'));
    chownTree(who, pgRoot);
  }
  const bins = reachableBinaries(findPgBinaries(), who, pgRoot);
  const state: ClusterState = previous ?? { pgRoot, binDir: bins.dir, primaries: {}, services: {}, synchronous: synchronous ?? true };
  state.binDir = bins.dir;
  if (synchronous !== undefined) state.synchronous = synchronous;
  return { topology, bins, who, pgRoot, state, started: { postgres: [], services: [] }, failed: false };
}

export { currentPrimary } from './running-topology.ts';

/** The launcher's PostgreSQL binaries as recorded at boot (pg_ctl may have been copied for the servers' user). */
export function launcherBinaries(state: ClusterState): PgBinaries {
  return { ...findPgBinaries(), pgCtl: path.join(state.binDir, 'pg_ctl') };
}

export async function withClient<T>(topology: Topology, server: PostgresServer, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = toolClient({ connectionString: connectionString(topology, server), application_name: 'teranga-launcher', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function ensureDataDirs(ctx: Context, progress: Progress): Promise<void> {
  const template = path.join(ctx.pgRoot, 'template');
  const missing = ctx.topology.postgres.filter((s) => !existsSync(path.join(serverDataDir(ctx.pgRoot, s), 'PG_VERSION')));
  if (missing.length === 0) return;
  if (!existsSync(path.join(template, 'PG_VERSION'))) {
    const t0 = Date.now();
    progress(`initdb: creating the server template with ${ctx.bins.source} binaries (${ctx.bins.dir})`);
    rmSync(template, { recursive: true, force: true });
    await initTemplate(ctx.bins, ctx.who, template, ctx.topology.pg.user, ctx.topology.pg.database);
    progress(`initdb: done in ${seconds(t0)}`);
  }
  for (const server of missing) {
    const upstreamDir = server.upstream ? serverDataDir(ctx.pgRoot, server.upstream) : null;
    // A standby is a copy of its primary taken before the primary's first start: both come from the template.
    if (upstreamDir && existsSync(path.join(upstreamDir, 'postmaster.opts'))) {
      throw new Error(
        `Standby ${server.name} has no data but its primary has already run; rebuild it with \`teranga rebuild-standby ${server.upstream}\``,
      );
    }
    createDataDir(template, serverDataDir(ctx.pgRoot, server), ctx.who, server.role === 'standby');
    progress(`created ${server.name} (${server.role})`);
  }
}

class PortInUseError extends Error {}

function portInUse(port: number, host: string, what: string, variable: string): PortInUseError {
  return new PortInUseError(
    `Port ${port} (${host}) is already in use: ${what} cannot start there.\n` +
      `What to do: stop what holds it (\`ss -ltnp 'sport = :${port}'\` names it), or move the cluster to other ports with ${variable}.`,
  );
}

/** Runs the steps side by side; once one fails the others are told (ctx.failed) and awaited, then the first error is thrown. */
async function allOrFirstError(ctx: Context, steps: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step.catch((error: unknown) => {
    ctx.failed = true;
    throw error;
  })));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

async function startPostgres(ctx: Context, servers: readonly PostgresServer[], progress: Progress): Promise<void> {
  await allOrFirstError(
    ctx,
    servers.map(async (server) => {
      const dataDir = serverDataDir(ctx.pgRoot, server);
      if (postmasterPid(dataDir)) {
        // a changed replication mode (or role) reaches a running server through a reload
        const changed = writeServerConfig(runningTopology(ctx.topology, ctx.state), server, dataDir, { synchronous: ctx.state.synchronous });
        if (changed) await withClient(ctx.topology, server, (c) => c.query('SELECT pg_reload_conf()'));
        progress(`${server.name}: already running${changed ? ', configuration reloaded' : ''}`);
        return;
      }
      if (!(await isPortFree(server.port, server.host))) throw portInUse(server.port, server.host, `PostgreSQL server "${server.name}"`, 'TERANGA_PG_PORT');
      if (ctx.failed) return;
      writeServerConfig(runningTopology(ctx.topology, ctx.state), server, dataDir, { synchronous: ctx.state.synchronous });
      const t0 = Date.now();
      ctx.started.postgres.push(server.name);
      const pid = await startServer(ctx.bins, ctx.who, server, { dataDir, logFile: serverLogFile(ctx.topology, server.name) });
      progress(`${server.name}: started on ${server.host}:${server.port} (pid ${pid}) in ${seconds(t0)}`);
    }),
  );
}

async function ensureSlots(ctx: Context): Promise<void> {
  const running = runningTopology(ctx.topology, ctx.state);
  for (const standby of running.postgres.filter((s) => s.upstream)) {
    const primary = running.postgres.find((s) => s.name === standby.upstream)!;
    await withClient(ctx.topology, primary, (c) =>
      c.query(
        `SELECT pg_create_physical_replication_slot($1, true)
         WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
        [slotName(standby.name)],
      ),
    );
  }
}

export async function migrateAll(topology: Topology, state: ClusterState | null, progress: Progress): Promise<void> {
  const run = async (role: DatabaseRole) => {
    const server = currentPrimary(topology, state, role);
    const result = await withClient(topology, server, async (c) => {
      if (role === 'coordinator') await ensureForeignServers(c, topology, (r) => serversInRoleOrder(topology, state, r));
      return migrate(c, topology.root, role);
    });
    progress(`migrate ${role}: ${result.applied.length} applied, ${result.skipped.length} already done`);
  };
  // the coordinator's views import the other databases' tables: migrate it last
  await Promise.all(DATABASE_ROLES.filter((r) => r !== 'coordinator').map(run));
  await run('coordinator');
}

/** Builds the bundles of the services, the supervisor and the CLI (cluster/service-build.ts) unless current ones exist. */
async function bundleServices(topology: Topology, progress: Progress): Promise<void> {
  const t0 = Date.now();
  const entries = [...new Set([...topology.services.map((s) => s.entry), SUPERVISOR_ENTRY, CLI_ENTRY])];
  try {
    if (await ensureServiceBundles(topology.root, entries)) progress(`services: bundled in ${seconds(t0)}`);
  } catch (error) {
    progress(`services: not bundled, they start through tsx (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Starts one Node service as a detached process (its own process group), output appended to its log. */
export function spawnService(topology: Topology, service: NodeService, extraEnv: Record<string, string> = {}): ServiceRecord {
  const logFile = serverLogFile(topology, service.name);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, serviceCommand(topology.root, service.entry), {
    cwd: topology.root,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...serviceEnv(topology, service), ...extraEnv },
  });
  closeSync(out);
  child.unref();
  return { ...recordProcess(child.pid!), startedAt: new Date().toISOString() };
}

/** Whether the recorded process of a service is still that service. */
export function isServiceRunning(service: NodeService, record: ServiceRecord | undefined): boolean {
  return isSameProcess(record, service.entry);
}

async function startServices(ctx: Context, progress: Progress, extraEnv: Record<string, string>, only?: (s: NodeService) => boolean): Promise<void> {
  const all = ctx.topology.services.filter(only ?? (() => true));
  // every service of the topology, whatever its kind; the gateway last, as it composes the others at start
  const order: NodeService[][] = [
    all.filter((s) => s.kind !== 'gateway'),
    all.filter((s) => s.kind === 'gateway'),
  ];
  // every port first: a taken one fails the boot before any service is started
  const taken: PortInUseError[] = [];
  for (const service of all) {
    if (isServiceRunning(service, ctx.state.services[service.name])) continue;
    if (!(await isPortFree(service.port, service.host))) taken.push(portInUse(service.port, service.host, `service "${service.name}"`, 'TERANGA_PORT'));
  }
  if (taken.length > 0) throw new PortInUseError(taken.map((e) => e.message).join('\n'));
  for (const group of order) {
    if (ctx.failed) return;
    await allOrFirstError(
      ctx,
      group.map(async (service) => {
        const known = readState(ctx.topology)?.services[service.name];
        if (known && isServiceRunning(service, known)) {
          if (known.restarting) {
            progress(`${service.name}: being restarted by the supervisor (pid ${known.pid})`);
            await waitForHealth(service, () => !ctx.failed && isServiceRunning(service, known));
          }
          progress(`${service.name}: already running (pid ${known.pid})`);
          return;
        }
        if (ctx.failed) return;
        const t0 = Date.now();
        const record = spawnService(ctx.topology, service, extraEnv);
        ctx.started.services.push(service.name);
        updateState(ctx.topology, (state) => {
          state.services[service.name] = record;
        });
        try {
          await waitForHealth(service, () => !ctx.failed && isServiceRunning(service, record));
        } catch (error) {
          if (ctx.failed) return;
          const logFile = serverLogFile(ctx.topology, service.name);
          throw new Error(`Service "${service.name}" failed to start: ${(error as Error).message}\n--- last lines of its log (${logFile}) ---\n${tail(logFile)}`);
        }
        progress(`${service.name}: ready at ${service.url} (pid ${record.pid}) in ${seconds(t0)}`);
      }),
    );
  }
}

export async function up(topology: Topology, options: UpOptions = {}): Promise<ClusterState> {
  const t0 = Date.now();
  const ctx = context(topology, options.synchronous);
  if (options.started) ctx.started = options.started;
  // once a step has failed, nothing more is reported as started or ready
  const progress: Progress = (message) => {
    if (!ctx.failed) options.progress?.(message);
  };
  try {
    // built while the servers start; a failed build leaves the services on tsx, slower to start
    const bundles = (options.services ?? true) ? bundleServices(topology, progress) : Promise.resolve();
    await ensureDataDirs(ctx, progress);
    saveState(ctx);
    const running = runningTopology(topology, ctx.state);
    const primaries = running.postgres.filter((s) => s.role === 'primary');
    const standbys = running.postgres.filter((s) => s.role === 'standby' && !isRebuildPending(ctx.state, s.name));
    for (const server of running.postgres.filter((s) => isRebuildPending(ctx.state, s.name))) {
      progress(`${server.name}: not started: it lost its role in a failover; run \`teranga rebuild-standby ${server.database}\``);
    }
    // the simulated WAN first: standbys in another city than their primary stream through it
    if (topology.wan && (options.services ?? true)) await startServices(ctx, progress, options.serviceEnv ?? {}, (s) => s.name === 'wan');
    await startPostgres(ctx, primaries, progress);
    await ensureSlots(ctx);
    await startPostgres(ctx, standbys, progress);
    progress(`PostgreSQL: ${topology.postgres.length} servers up in ${seconds(t0)}`);
    await migrateAll(topology, ctx.state, progress);
    await ensureLogicalCopies(topology, ctx.state, progress);
    await bundles;
    if (options.services ?? true) await startServices(ctx, progress, options.serviceEnv ?? {}, (s) => !topology.wan || s.name !== 'wan');
  } catch (error) {
    ctx.failed = true;
    options.progress?.('failed: stopping what this `up` started');
    const stopped = { postgres: [...ctx.started.postgres], services: [...ctx.started.services] };
    await stopStarted(topology, stopped).catch(() => {});
    ctx.started.postgres.length = 0;
    ctx.started.services.length = 0;
    const hint = error instanceof PortInUseError ? '' : 'What to do: fix the cause above (the logs are in ' + path.join(topology.dataDir, 'logs') + '), then run `teranga up` again.';
    throw new UpFailedError(error as Error, stopped, hint);
  }
  saveState(ctx);
  progress(`cluster ready in ${seconds(t0)}`);
  return readState(topology) ?? ctx.state;
}

/** Writes what `up` decided (paths, replication mode) while keeping the service records others may have changed. */
function saveState(ctx: Context): void {
  const current = readState(ctx.topology);
  writeState(ctx.topology, { ...ctx.state, services: current?.services ?? ctx.state.services, supervisor: current?.supervisor, stoppedAt: current?.stoppedAt });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a recorded process and its process group, only while the pid is still the process that
 * was recorded: a pid reused by another program is left alone. Returns whether it was running.
 */
export async function stopProcess(record: ProcessRecord, expect?: string, timeoutMs = 10_000): Promise<boolean> {
  if (!isSameProcess(record, expect)) return false;
  const signal = (name: NodeJS.Signals) => {
    try {
      // services run in their own process group (detached): signal the group
      process.kill(-record.pid, name);
    } catch {
      try {
        process.kill(record.pid, name);
      } catch {
        // exited meanwhile
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isSameProcess(record, expect) && Date.now() < deadline) await delay(50);
  if (isSameProcess(record, expect)) signal('SIGKILL');
  return true;
}

/** Stops one service on purpose (the supervisor does not restart it) and forgets its record. */
export async function stopService(topology: Topology, name: string): Promise<void> {
  const state = readState(topology);
  const known = state?.services[name];
  if (!state || !known) return;
  updateState(topology, (s) => {
    if (s.services[name]) s.services[name]!.stopping = true;
  });
  const service = topology.services.find((s) => s.name === name);
  await stopProcess(known, service?.entry);
  updateState(topology, (s) => {
    delete s.services[name];
  });
}

/** Stops what one `up` started: its services, then its PostgreSQL servers (standbys first). */
export async function stopStarted(topology: Topology, started: Started, progress: Progress = () => {}): Promise<void> {
  await Promise.all(
    started.services.map(async (name) => {
      await stopService(topology, name);
      progress(`${name}: stopped`);
    }),
  );
  const state = readState(topology);
  if (!state) return;
  const bins = launcherBinaries(state);
  const who = serverIdentity();
  for (const role of ['standby', 'primary'] as const) {
    await Promise.all(
      runningTopology(topology, state).postgres
        .filter((s) => s.role === role && started.postgres.includes(s.name))
        .map(async (server) => {
          const dir = serverDataDir(state.pgRoot, server);
          if (!postmasterPid(dir)) return;
          await stopServer(bins, who, dir);
          progress(`${server.name}: stopped`);
        }),
    );
  }
}

export async function down(topology: Topology, progress: Progress = () => {}): Promise<void> {
  const state = readState(topology);
  if (!state) {
    progress('nothing to stop: no cluster state');
    return;
  }
  // the supervisor first, so that it restarts none of the services stopped next
  if (state.supervisor && (await stopProcess(state.supervisor, SUPERVISOR_ENTRY))) progress('supervisor: stopped');
  updateState(topology, (s) => {
    delete s.supervisor;
    for (const record of Object.values(s.services)) record.stopping = true;
  });
  await Promise.all(
    Object.entries(state.services).map(async ([name, record]) => {
      const service = topology.services.find((s) => s.name === name);
      const wasRunning = await stopProcess(record, service?.entry);
      progress(wasRunning ? `${name}: stopped` : `${name}: not running (pid ${record.pid} is no longer it; left alone)`);
    }),
  );
  updateState(topology, (s) => {
    s.services = {};
  });
  const bins = launcherBinaries(state);
  const who = serverIdentity();
  // standbys first, so a synchronous primary's shutdown is not left waiting on them
  for (const role of ['standby', 'primary'] as const) {
    await Promise.all(
      runningTopology(topology, state).postgres
        .filter((s) => s.role === role)
        .map(async (server) => {
          const dir = serverDataDir(state.pgRoot, server);
          if (!postmasterPid(dir)) return;
          await stopServer(bins, who, dir);
          progress(`${server.name}: stopped`);
        }),
    );
  }
  updateState(topology, (s) => {
    s.stoppedAt = new Date().toISOString();
  });
}

/** Stops the cluster and deletes its data, keeping the initdb template so the next boot is fast. */
export async function reset(topology: Topology): Promise<void> {
  const state = readState(topology);
  if (state) await down(topology);
  if (!existsSync(topology.dataDir)) return;
  const pgRoot = state?.pgRoot ?? path.join(topology.dataDir, 'pg');
  for (const server of topology.postgres) rmSync(serverDataDir(pgRoot, server), { recursive: true, force: true });
  rmSync(path.join(topology.dataDir, 'state.json'), { force: true });
  rmSync(path.join(topology.dataDir, 'logs'), { recursive: true, force: true });
}

/** Removes every data directory of the cluster (it must be stopped). */
export async function destroy(topology: Topology): Promise<void> {
  const state = readState(topology);
  await down(topology);
  if (state && state.pgRoot !== path.join(topology.dataDir, 'pg')) rmSync(path.dirname(state.pgRoot), { recursive: true, force: true });
  rmSync(topology.dataDir, { recursive: true, force: true });
}
