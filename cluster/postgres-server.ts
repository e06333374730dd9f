/**
 * Creating, configuring, starting and stopping one PostgreSQL server of the local cluster.
 */
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PostgresServer, Topology } from '../lib/topology.ts';
import { endpointFrom } from '../lib/topology.ts';
import type { PgBinaries } from './pg-binaries.ts';
import { chownTree, type RunAs } from './os-user.ts';
import { POSTGRES_SETTINGS } from './postgres-settings.ts';
import { processCommandLine, processStartTime } from './process-identity.ts';

const run = promisify(execFile);

export interface ServerPaths {
  readonly dataDir: string;
  readonly logFile: string;
}

export interface ReplicationSettings {
  /** Primaries wait for their standby's flush before a commit returns. */
  readonly synchronous: boolean;
}

export function slotName(standby: string): string {
  return standby.replace(/[^a-z0-9]/g, '_');
}

async function runAs(who: RunAs | null, file: string, args: string[], timeoutMs = 120_000) {
  return run(file, args, {
    timeout: timeoutMs,
    ...(who ? { uid: who.uid, gid: who.gid } : {}),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
  });
}

export async function initTemplate(
  bins: PgBinaries,
  who: RunAs | null,
  dir: string,
  user: string,
  database: string,
): Promise<void> {
  await runAs(who, bins.initdb, ['-D', dir, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-instructions']);
  // single-user mode creates the application database without starting a server
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bins.postgres, ['--single', '-D', dir, 'postgres'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(who ? { uid: who.uid, gid: who.gid } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`CREATE DATABASE failed (${code}): ${stderr}`))));
    child.stdin.end(`CREATE DATABASE "${database}";\n`);
  });
}

/**
 * Writes the settings Teranga depends on into `teranga.conf`, included from postgresql.conf.
 * Rewritten at every boot, so a changed topology (ports) or replication mode takes effect.
 * `topology` is the running one (cluster/running-topology.ts): roles as they are after failovers.
 * Returns whether the file changed, so a running server can be told to reload it.
 */
export function writeServerConfig(
  topology: Topology,
  server: PostgresServer,
  dataDir: string,
  replication: ReplicationSettings,
): boolean {
  const upstream = server.upstream ? topology.postgres.find((s) => s.name === server.upstream) : undefined;
  const standbyOfThis = topology.postgres.find((s) => s.upstream === server.name);
  const lines = [
    '# Written by the Teranga launcher at every boot; edit lib/topology.ts or cluster/ instead.',
    `listen_addresses = '${server.host}'`,
    `port = ${server.port}`,
    "unix_socket_directories = ''",
    ...Object.entries(POSTGRES_SETTINGS).map(([name, value]) => `${name} = '${value}'`),
    'shared_buffers = 16MB',
    `cluster_name = '${server.name}'`,
    "log_line_prefix = '%m [%p] %q%a '",
    'log_min_duration_statement = -1',
  ];
  if (server.role === 'primary' && standbyOfThis && replication.synchronous) {
    lines.push(`synchronous_standby_names = '"${standbyOfThis.name}"'`, "synchronous_commit = 'remote_apply'");
  } else {
    lines.push("synchronous_standby_names = ''", "synchronous_commit = 'on'");
  }
  if (upstream) {
    // under --wan, a standby in another city than its primary streams through the replication link
    const via = endpointFrom(topology, server.location, upstream, 'replication');
    lines.push(
      `primary_conninfo = 'host=${via.host} port=${via.port} user=${topology.pg.user} application_name=${server.name}'`,
      `primary_slot_name = '${slotName(server.name)}'`,
    );
  }
  const file = path.join(dataDir, 'teranga.conf');
  const content = lines.join('\n') + '\n';
  const changed = !existsSync(file) || readFileSync(file, 'utf8') !== content;
  if (changed) writeFileSync(file, content);
  const main = path.join(dataDir, 'postgresql.conf');
  if (!readFileSync(main, 'utf8').includes("include_if_exists = 'teranga.conf'")) {
    appendFileSync(main, "\ninclude_if_exists = 'teranga.conf'\n");
  }
  return changed;
}

/** A new server's data directory: a copy of the never-started template (so a standby and its primary share a system id). */
export function createDataDir(template: string, dataDir: string, who: RunAs | null, standby: boolean): void {
  cpSync(template, dataDir, { recursive: true });
  if (standby) writeFileSync(path.join(dataDir, 'standby.signal'), '');
  chownTree(who, dataDir);
}

export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.once('listening', () => probe.close(() => resolve(true)));
    probe.listen(port, host);
  });
}

/**
 * The pid of the postmaster running in a data directory, or null. The lock file outlives a crash
 * or a reboot, and its pid may since belong to another process: it counts only while that
 * process is a postgres started on this data directory.
 */
export function postmasterPid(dataDir: string): number | null {
  const pid = lockFilePid(dataDir);
  if (pid === null || processStartTime(pid) === null) return null;
  const command = processCommandLine(pid);
  // an unreadable command line (another user's process without /proc access) proves nothing either way
  if (command !== '' && !(command.includes('postgres') && command.includes(dataDir))) return null;
  return pid;
}

function lockFilePid(dataDir: string): number | null {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Removes a lock file whose pid is not this directory's postmaster (left by a crash or a reboot):
 * PostgreSQL would refuse to start while that pid is alive, whatever process it now is.
 */
export function removeStaleLockFile(dataDir: string): boolean {
  if (lockFilePid(dataDir) === null || postmasterPid(dataDir) !== null) return false;
  rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  return true;
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export class ServerStartError extends Error {
  constructor(readonly server: string, readonly logTail: string, cause: unknown) {
    super(`PostgreSQL server "${server}" failed to start: ${(cause as Error).message?.split('\n')[0] ?? cause}\n--- last lines of its log ---\n${logTail}`);
  }
}

export async function startServer(
  bins: PgBinaries,
  who: RunAs | null,
  server: PostgresServer,
  paths: ServerPaths,
): Promise<number> {
  const running = postmasterPid(paths.dataDir);
  if (running) return running;
  removeStaleLockFile(paths.dataDir);
  // after a kill -9 the stale lock file makes the first attempts fail for a second or two
  for (let attempt = 1; ; attempt++) {
    try {
      await runAs(who, bins.pgCtl, ['start', '-D', paths.dataDir, '-l', paths.logFile, '-w', '-t', '60', '-s']);
      break;
    } catch (error) {
      const log = tail(paths.logFile);
      if (attempt < 4 && /lock file .* already exists/.test(log)) {
        await new Promise((r) => setTimeout(r, 700));
        continue;
      }
      throw new ServerStartError(server.name, log, error);
    }
  }
  const pid = postmasterPid(paths.dataDir);
  if (!pid) throw new ServerStartError(server.name, tail(paths.logFile), new Error('no postmaster.pid after start'));
  return pid;
}

export async function stopServer(bins: PgBinaries, who: RunAs | null, dataDir: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  if (!postmasterPid(dataDir)) return;
  try {
    await runAs(who, bins.pgCtl, ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60', '-s']);
  } catch (error) {
    // it may have exited between the check and the stop
    if (postmasterPid(dataDir)) throw error;
  }
}

/** pg_ctl promote: the standby leaves recovery and accepts writes. */
export async function promoteServer(bins: PgBinaries, who: RunAs | null, dataDir: string): Promise<void> {
  await runAs(who, bins.pgCtl, ['promote', '-D', dataDir, '-w', '-t', '60', '-s']);
}

/**
 * What a base backup leaves out (as pg_basebackup does): files of the running server only, WAL
 * (the new standby streams it through its slot), replication slots, and the contents of
 * directories the server rebuilds at start.
 */
const NOT_COPIED = new Set(['postmaster.pid', 'postmaster.opts', 'standby.signal', 'recovery.signal', 'backup_label', 'tablespace_map', 'teranga.conf']);
const EMPTIED = new Set(['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);

/**
 * Copies a running server's data directory, between `pg_backup_start()` and `pg_backup_stop()`,
 * into a fresh one. Files that vanish during the copy (temporary files, dropped relations) are
 * skipped: WAL replay from the backup's start recreates whatever the copy needs.
 */
export function copyDataDirForBackup(source: string, target: string, who: RunAs | null): void {
  rmSync(target, { recursive: true, force: true });
  const copyDir = (from: string, to: string, top: boolean) => {
    mkdirSync(to, { mode: statSync(from).mode & 0o777 });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if (top && NOT_COPIED.has(entry.name)) continue;
      if (entry.name === 'pg_internal.init') continue;
      try {
        if (entry.isDirectory()) {
          if (top && EMPTIED.has(entry.name)) {
            mkdirSync(dst, { mode: 0o700 });
            if (entry.name === 'pg_wal') mkdirSync(path.join(dst, 'archive_status'), { mode: 0o700 });
          } else {
            copyDir(src, dst, false);
          }
        } else if (entry.isFile()) {
          copyFileSync(src, dst);
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  };
  copyDir(source, target, true);
  chownTree(who, target);
}
