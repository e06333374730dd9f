/**
 * `teranga rebuild-standby <database>`: the database's server that is not its primary (after a
 * failover, the old primary) is re-cloned from the current primary and streams from it again.
 * The server keeps its name, address and data directory; only its role changes, so after a
 * failover of `dakar`, `dakar-standby` is the primary and `dakar` its standby (`teranga status`
 * shows the roles as they are; a second failover restores the original ones).
 *
 * The embedded binaries have no pg_basebackup, so the clone is the same thing done by hand:
 * a physical slot reserves the WAL from now on, `pg_backup_start()` marks the backup's start,
 * the data directory is copied while the primary keeps running, and `pg_backup_stop()` returns
 * the backup_label the standby starts its replay from; the WAL since then arrives by streaming.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { toolClient } from '../lib/db/tool-client.ts';
import { connectionString, type DatabaseRole, type Topology } from '../lib/topology.ts';
import { launcherBinaries, serverDataDir, serverLogFile, withClient, type Progress } from './cluster.ts';
import { reconfigure, requireState, serverRole } from './failover.ts';
import { chownTree, serverIdentity } from './os-user.ts';
import { copyDataDirForBackup, postmasterPid, slotName, startServer, stopServer, writeServerConfig } from './postgres-server.ts';
import { currentPrimary, runningTopology } from './running-topology.ts';
import { updateState } from './state.ts';

export interface RebuildReport {
  readonly database: DatabaseRole;
  readonly primary: string;
  readonly standby: string;
  /** Milliseconds from pg_backup_start() to pg_backup_stop() (the file copy). */
  readonly copyMs: number;
  /** Milliseconds until the rebuilt standby streams (and, in synchronous mode, is the synchronous one). */
  readonly totalMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

export async function rebuildStandby(topology: Topology, database: DatabaseRole, progress: Progress = () => {}): Promise<RebuildReport> {
  const t0 = Date.now();
  let state = requireState(topology);
  const primary = currentPrimary(topology, state, database);
  const target = topology.postgres.find((s) => s.database === database && s.name !== primary.name);
  if (!target) throw new Error(`Database ${database} has no second server to rebuild`);
  if ((await serverRole(topology, primary)) !== 'primary') {
    throw new Error(`${primary.name}, the primary of ${database}, is not running as a primary: start it (or fail over) first`);
  }
  const bins = launcherBinaries(state);
  const who = serverIdentity();
  const slot = slotName(target.name);

  // The primary must not wait for a standby that is about to disappear.
  state = updateState(topology, (s) => {
    s.rebuildPending = [...(s.rebuildPending ?? []).filter((n) => n !== target.name), target.name];
  });
  await reconfigure(topology, state, primary.name);

  const targetDir = serverDataDir(state.pgRoot, target);
  if (postmasterPid(targetDir)) {
    progress(`${target.name}: stopping it before its data is replaced`);
    await stopServer(bins, who, targetDir, 'fast').catch(() => stopServer(bins, who, targetDir, 'immediate'));
  }

  await withClient(topology, primary, async (c) => {
    // an old slot of the same name may still be held by a walsender that has not noticed its standby left
    await until(`slot ${slot} on ${primary.name} to be released`, 30_000, async () => {
      const { rows } = await c.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return !rows[0]?.active;
    });
    await c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    // reserved now, before the backup starts: the WAL from the backup's start on stays available
    await c.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
  });

  // pg_backup_start and pg_backup_stop must run in the same session
  const backup = toolClient({ connectionString: connectionString(topology, primary), application_name: 'teranga-rebuild' });
  await backup.connect();
  const copyStart = Date.now();
  let label: { labelfile: string; spcmapfile: string | null };
  try {
    await backup.query('SELECT pg_backup_start($1, true)', [`teranga rebuild-standby ${target.name}`]);
    progress(`${target.name}: copying ${primary.name}'s data directory`);
    try {
      copyDataDirForBackup(serverDataDir(state.pgRoot, primary), targetDir, who);
    } catch (error) {
      await backup.query('SELECT pg_backup_stop(false)').catch(() => {});
      throw error;
    }
    const { rows } = await backup.query<{ labelfile: string; spcmapfile: string | null }>('SELECT labelfile, spcmapfile FROM pg_backup_stop(false)');
    label = rows[0]!;
  } finally {
    await backup.end().catch(() => {});
  }
  const copyMs = Date.now() - copyStart;
  writeFileSync(path.join(targetDir, 'backup_label'), label.labelfile);
  if (label.spcmapfile) writeFileSync(path.join(targetDir, 'tablespace_map'), label.spcmapfile);
  writeFileSync(path.join(targetDir, 'standby.signal'), '');

  // configured as the primary's standby, while the primary does not yet wait for it
  const asStandby = runningTopology(topology, { ...state, rebuildPending: (state.rebuildPending ?? []).filter((n) => n !== target.name) });
  const standby = asStandby.postgres.find((s) => s.name === target.name)!;
  writeServerConfig(asStandby, standby, targetDir, { synchronous: state.synchronous });
  chownTree(who, targetDir);
  const pid = await startServer(bins, who, standby, { dataDir: targetDir, logFile: serverLogFile(topology, target.name) });
  progress(`${target.name}: started as standby of ${primary.name} (pid ${pid})`);

  await withClient(topology, primary, (c) =>
    until(`${target.name} to stream from ${primary.name}`, 60_000, async () => {
      const { rows } = await c.query<{ state: string }>('SELECT state FROM pg_stat_replication WHERE application_name = $1', [target.name]);
      return rows[0]?.state === 'streaming';
    }),
  );

  state = updateState(topology, (s) => {
    s.rebuildPending = (s.rebuildPending ?? []).filter((n) => n !== target.name);
  });
  await reconfigure(topology, state, primary.name);
  if (state.synchronous) {
    await withClient(topology, primary, (c) =>
      until(`${target.name} to become ${primary.name}'s synchronous standby`, 30_000, async () => {
        const { rows } = await c.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication WHERE application_name = $1', [target.name]);
        return rows[0]?.sync_state === 'sync';
      }),
    );
  }
  progress(`${target.name}: streaming from ${primary.name} (${state.synchronous ? 'synchronous' : 'asynchronous'})`);
  return { database, primary: primary.name, standby: target.name, copyMs, totalMs: Date.now() - t0 };
}
