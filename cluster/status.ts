/**
 * A snapshot of the local cluster: every server and service with its role, address, pid and,
 * for standbys, replication state and lag as the primary sees them.
 */
import pg from 'pg';
import { toolClient } from '../lib/db/tool-client.ts';
import { connectionString, type PostgresServer, type Topology } from '../lib/topology.ts';
import { postmasterPid } from './postgres-server.ts';
import { isServiceRunning, serverDataDir } from './cluster.ts';
import { runningSupervisor } from './supervisor.ts';
import { isRebuildPending } from './running-topology.ts';
import { healthUrl } from './services.ts';
import { readState } from './state.ts';

export interface ServerStatus {
  name: string;
  kind: 'postgres';
  site: string | null;
  database: string;
  /** The role it plays now (`primary` once a standby is promoted). */
  role: 'primary' | 'standby' | 'down';
  host: string;
  port: number;
  pid: number | null;
  /** For a standby: how it streams, and from which primary. */
  replication: { upstream: string; state: string; sync: string; lagBytes: number; replayLagMs: number | null } | null;
  /** It lost its role in a failover and must be rebuilt (`teranga rebuild-standby`) before it runs again. */
  rebuildPending: boolean;
}

export interface ServiceStatus {
  name: string;
  kind: 'gateway' | 'subgraph' | 'service';
  site: string | null;
  /** `restarting`: it crashed and the supervisor is starting it again. */
  role: 'up' | 'down' | 'restarting';
  host: string;
  port: number;
  url: string;
  /** The recorded pid, while it is still the process the launcher started. */
  pid: number | null;
  /** Times the supervisor has restarted it. */
  restarts: number;
}

export interface SupervisorStatus {
  running: boolean;
  pid: number | null;
}

export interface ClusterStatus {
  servers: ServerStatus[];
  services: ServiceStatus[];
  supervisor: SupervisorStatus;
}

async function query<T extends pg.QueryResultRow>(topology: Topology, server: PostgresServer, sql: string): Promise<T[] | null> {
  const client = toolClient({ connectionString: connectionString(topology, server), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return (await client.query<T>(sql)).rows;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

interface ReplicationRow {
  application_name: string;
  state: string;
  sync_state: string;
  lag_bytes: number;
  replay_lag_ms: number | null;
}

export async function clusterStatus(topology: Topology): Promise<ClusterStatus> {
  const state = readState(topology);
  const replication = new Map<string, ReplicationRow & { upstream: string }>();
  const roles = new Map<string, ServerStatus['role']>();
  await Promise.all(
    topology.postgres.map(async (server) => {
      const rows = await query<{ standby: boolean }>(topology, server, 'SELECT pg_is_in_recovery() AS standby');
      roles.set(server.name, rows ? (rows[0]!.standby ? 'standby' : 'primary') : 'down');
      if (rows && !rows[0]!.standby) {
        const repl = await query<ReplicationRow>(
          topology,
          server,
          `SELECT application_name, state, sync_state,
                  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes,
                  (extract(epoch FROM replay_lag) * 1000)::float8 AS replay_lag_ms
           FROM pg_stat_replication`,
        );
        for (const r of repl ?? []) replication.set(r.application_name, { ...r, upstream: server.name });
      }
    }),
  );
  const servers: ServerStatus[] = topology.postgres.map((server) => {
    const r = replication.get(server.name);
    return {
      name: server.name,
      kind: 'postgres',
      site: server.site,
      database: server.database,
      role: roles.get(server.name) ?? 'down',
      host: server.host,
      port: server.port,
      pid: state ? postmasterPid(serverDataDir(state.pgRoot, server)) : null,
      replication: r
        ? { upstream: r.upstream, state: r.state, sync: r.sync_state, lagBytes: Number(r.lag_bytes ?? 0), replayLagMs: r.replay_lag_ms }
        : null,
      rebuildPending: isRebuildPending(state, server.name),
    };
  });
  const supervisor = runningSupervisor(topology);
  const services: ServiceStatus[] = await Promise.all(
    topology.services.map(async (service) => {
      let ok = false;
      try {
        ok = (await fetch(healthUrl(service), { signal: AbortSignal.timeout(1_500) })).ok;
      } catch {
        ok = false;
      }
      const record = state?.services[service.name];
      const supervised = supervisor !== null && record?.restarting !== undefined;
      const role: ServiceStatus['role'] = ok ? 'up' : supervised ? 'restarting' : 'down';
      return {
        name: service.name,
        kind: service.kind,
        site: service.site,
        role,
        host: service.host,
        port: service.port,
        url: service.url,
        pid: record && isServiceRunning(service, record) ? record.pid : null,
        restarts: record?.restarts ?? 0,
      };
    }),
  );
  return { servers, services, supervisor: { running: supervisor !== null, pid: supervisor } };
}

export function formatStatus(status: ClusterStatus): string {
  const lines = ['SERVER                 ROLE      ADDRESS            PID      REPLICATION'];
  for (const s of status.servers) {
    const repl =
      s.role === 'standby'
        ? s.replication
          ? `${s.replication.state} from ${s.replication.upstream} (${s.replication.sync}), lag ${s.replication.lagBytes} B${s.replication.replayLagMs !== null ? ` / ${s.replication.replayLagMs.toFixed(1)} ms` : ''}`
          : 'not streaming'
        : s.rebuildPending
          ? `lost its role in a failover: teranga rebuild-standby ${s.database}`
          : '';
    lines.push(
      `${s.name.padEnd(22)} ${s.role.padEnd(9)} ${`${s.host}:${s.port}`.padEnd(18)} ${String(s.pid ?? '-').padEnd(8)} ${repl}`,
    );
  }
  lines.push('', 'SERVICE                STATE      URL');
  for (const s of status.services) {
    const restarts = s.restarts > 0 ? `, restarted ${s.restarts}×` : '';
    lines.push(`${s.name.padEnd(22)} ${s.role.padEnd(10)} ${s.url}${s.pid ? `  (pid ${s.pid}${restarts})` : restarts ? `  (${restarts.slice(2)})` : ''}`);
  }
  lines.push('', status.supervisor.running ? `supervisor: running (pid ${status.supervisor.pid}), restarts a crashed service` : 'supervisor: not running (crashed services are not restarted; `teranga up` starts it)');
  return lines.join('\n');
}
