/**
 * The supervisor: a small detached process that `teranga up` starts beside the services and
 * records in the state file. `up` returns and leaves the cluster in the background, so nothing
 * else would be there to notice a service that dies. Every half second it checks each recorded
 * service (by pid and start time, cluster/process-identity.ts); one that was seen running and has
 * exited without being stopped on purpose is started again after a backoff
 * (cluster/restart-policy.ts), and both events are logged to `logs/supervisor.log`. While it waits,
 * the service's record says `restarting`, which `teranga status` shows.
 *
 * It works from the topology alone: every service the topology lists is watched the same way.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { NodeService, Topology } from '../lib/topology.ts';
import { isServiceRunning, serverLogFile, spawnService } from './cluster.ts';
import { isSameProcess, recordProcess } from './process-identity.ts';
import { nextAttempt, restartDelayMs } from './restart-policy.ts';
import { serviceCommand } from './service-build.ts';
import { SUPERVISOR_ENTRY, topologyEnv, waitForHealth } from './services.ts';
import { readState, updateState, type ServiceRecord } from './state.ts';

const CHECK_INTERVAL_MS = 500;

const delay = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

const identity = (record: ServiceRecord) => `${record.pid}@${record.startTime ?? ''}`;

export async function supervise(topology: Topology, logger: Logger, signal: AbortSignal): Promise<void> {
  const self = recordProcess(process.pid);
  /** The identity each service was last seen running under: only such a process can "crash". */
  const seen = new Map<string, string>();
  const attempts = new Map<string, number>();
  const busy = new Set<string>();
  logger.info({ services: topology.services.map((s) => s.name), pid: process.pid }, 'supervisor started');

  const restart = async (service: NodeService, exited: ServiceRecord) => {
    busy.add(service.name);
    try {
      const ranForMs = Date.now() - Date.parse(exited.startedAt);
      const attempt = nextAttempt(attempts.get(service.name) ?? 0, ranForMs);
      attempts.set(service.name, attempt);
      const delayMs = restartDelayMs(attempt);
      logger.warn({ target: service.name, exitedPid: exited.pid, attempt, delayMs }, `${service.name} exited unexpectedly; restarting in ${delayMs} ms`);
      updateState(topology, (state) => {
        const record = state.services[service.name];
        if (record && identity(record) === identity(exited)) record.restarting = { since: new Date().toISOString(), attempt, delayMs, exitedPid: exited.pid };
      });
      await delay(delayMs, signal);
      const current = readState(topology)?.services[service.name];
      // stopped on purpose meanwhile (down, stopService) or started by someone else: not ours to start
      if (signal.aborted || !current || current.stopping || identity(current) !== identity(exited)) return;
      const record = spawnService(topology, service);
      seen.set(service.name, identity(record));
      updateState(topology, (state) => {
        state.services[service.name] = { ...record, restarting: { ...current.restarting!, since: current.restarting?.since ?? record.startedAt }, restarts: (current.restarts ?? 0) + 1 };
      });
      try {
        await waitForHealth(service, () => !signal.aborted && isServiceRunning(service, record));
      } catch (error) {
        logger.error({ target: service.name, pid: record.pid, attempt, err: (error as Error).message }, `${service.name} did not come back`);
        return;
      }
      updateState(topology, (state) => {
        const now = state.services[service.name];
        if (now && identity(now) === identity(record)) delete now.restarting;
      });
      logger.info({ target: service.name, pid: record.pid, attempt }, `${service.name} restarted (pid ${record.pid})`);
    } finally {
      busy.delete(service.name);
    }
  };

  const startedAt = Date.now();
  while (!signal.aborted) {
    const state = readState(topology);
    const recorded = state?.supervisor?.pid === self.pid && isSameProcess(state.supervisor);
    if (!recorded) {
      // `up` records this process right after starting it: give it that moment
      if (state && Date.now() - startedAt < 10_000) {
        await delay(100, signal);
        continue;
      }
      // the cluster was destroyed, or another supervisor took over
      logger.info("supervisor leaving: no longer the cluster's supervisor");
      return;
    }
    for (const service of topology.services) {
      const record = state.services[service.name];
      if (!record || record.stopping || busy.has(service.name)) continue;
      if (isServiceRunning(service, record)) {
        seen.set(service.name, identity(record));
      } else if (seen.get(service.name) === identity(record)) {
        void restart(service, record);
      }
    }
    await delay(CHECK_INTERVAL_MS, signal);
  }
  logger.info('supervisor stopped');
}

/** The running supervisor of the cluster, if any. */
export function runningSupervisor(topology: Topology): number | null {
  const record = readState(topology)?.supervisor;
  return record && isSameProcess(record, SUPERVISOR_ENTRY) ? record.pid : null;
}

/** Starts the supervisor (detached, its output in `logs/supervisor.log`) unless one runs; returns its pid and whether it is new. */
export function ensureSupervisor(topology: Topology): { pid: number; started: boolean } {
  const running = runningSupervisor(topology);
  if (running) return { pid: running, started: false };
  const logFile = serverLogFile(topology, 'supervisor');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, serviceCommand(topology.root, SUPERVISOR_ENTRY), {
    cwd: topology.root,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...topologyEnv(topology) },
  });
  closeSync(out);
  child.unref();
  const record = recordProcess(child.pid!);
  updateState(topology, (state) => {
    state.supervisor = record;
  });
  return { pid: record.pid, started: true };
}
