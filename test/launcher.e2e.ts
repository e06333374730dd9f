/**
 * The launcher owns what it starts, checked with real processes on a cluster of its own (its own
 * ports, above the test cluster's, and its own data directory): two `npm start` side by side,
 * `teranga down` ending a foreground launcher, the supervisor restarting a crashed service, a
 * failed `up` stopping what it started, a stale pid left alone, and the `logs` and `sql` commands.
 * The scenarios run in order on the one cluster; every process a test starts is stopped by it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroy, serverDataDir } from '../cluster/cluster.ts';
import { isSameProcess, processCommandLine } from '../cluster/process-identity.ts';
import { currentBundle } from '../cluster/service-build.ts';
import { readState, writeState } from '../cluster/state.ts';
import { clusterStatus, formatStatus, type ClusterStatus } from '../cluster/status.ts';
import { buildTopology } from '../lib/topology.ts';
import { alive } from './support/process-alive.ts';

// created by the launcher itself, which gives the PostgreSQL user (when run as root) access to it
const dataDir = path.join(os.tmpdir(), `teranga-launcher-${process.pid}`);
// above the test cluster's ports, inside the block this worktree's test cluster owns
const servicePort = Number(process.env.TERANGA_PORT ?? 24000) + 50;
const pgPort = Number(process.env.TERANGA_PG_PORT ?? 25400) + 50;
const topology = buildTopology({ dataDir, servicePort, pgPort });
const env: NodeJS.ProcessEnv = { ...process.env, TERANGA_HOME: dataDir, TERANGA_PORT: String(servicePort), TERANGA_PG_PORT: String(pgPort) };
delete env.TERANGA_JWT_PRIVATE_KEY;

const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await destroy(topology).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

interface Launched {
  readonly child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  stdout(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<number | null>;
}

/** Runs `teranga <args>` as its own process against the launcher's cluster. */
function teranga(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Launched {
  const child = spawn(process.execPath, ['bin/teranga.js', ...args], { cwd: topology.root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let all = '';
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (stream: 'out' | 'err') => (chunk: Buffer) => {
    all += chunk.toString();
    if (stream === 'out') out += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout!.on('data', onData('out'));
  child.stderr!.on('data', onData('err'));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    output: () => all,
    stdout: () => out,
    waitFor: (text, timeoutMs = 240_000) =>
      new Promise<void>((resolve, reject) => {
        const seen = () => (typeof text === 'string' ? all.includes(text) : text.test(all));
        const done = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (seen()) done();
        };
        const timer = setTimeout(() => done(new Error(`no ${String(text)} after ${timeoutMs} ms; output:\n${all}`)), timeoutMs);
        waiters.add(check);
        void exit.then((code) => {
          if (!seen()) done(new Error(`teranga ${args.join(' ')} exited (${code}) before ${String(text)}; output:\n${all}`));
        });
        check();
      }),
  };
}

async function runToEnd(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string; stdout: string }> {
  const run = teranga(args, extraEnv);
  const code = await run.exit;
  return { code, output: run.output(), stdout: run.stdout() };
}

/** Polls until the cluster's status satisfies `check` (no fixed waits). */
async function statusUntil(check: (status: ClusterStatus) => boolean, what: string, timeoutMs = 90_000): Promise<ClusterStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusterStatus | null = null;
  while (Date.now() < deadline) {
    last = await clusterStatus(topology);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the cluster never showed ${what}; last status:\n${last ? formatStatus(last) : '(none)'}`);
}

const allUp = (s: ClusterStatus) => s.servers.every((x) => x.role !== 'down') && s.services.every((x) => x.role === 'up');
const allDown = (s: ClusterStatus) => s.servers.every((x) => x.role === 'down' && x.pid === null) && s.services.every((x) => x.role === 'down' && x.pid === null);

/** Processes a state file still names that are alive: after a clean stop, none. */
function liveRecordedProcesses(): string[] {
  const state = readState(topology);
  if (!state) return [];
  return Object.entries(state.services).filter(([, r]) => isSameProcess(r)).map(([name]) => name).concat(state.supervisor && isSameProcess(state.supervisor) ? ['supervisor'] : []);
}

/** A stranger: a process in a group of its own, as a pid reused after a reboot would be. */
function stranger(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('the launcher owns what it starts', () => {
  let first: Launched;

  it('a second `npm start` attaches to the running cluster and, on Ctrl-C, leaves it running', async () => {
    first = teranga(['up', '--foreground']);
    await first.waitFor('Press Ctrl-C to stop the cluster.');
    expect(allUp(await clusterStatus(topology))).toBe(true);

    const second = teranga(['up', '--foreground']);
    await second.waitFor('The cluster was already running: attached to it.');
    expect(second.stdout()).not.toMatch(/: started on|: ready at/);
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);
    expect(second.output()).toContain('Detached; the cluster keeps running.');

    const after = await clusterStatus(topology);
    expect(after.servers.filter((s) => s.role === 'down').map((s) => s.name)).toEqual([]);
    expect(after.services.filter((s) => s.role !== 'up').map((s) => s.name)).toEqual([]);
    expect(first.child.exitCode, 'the first launcher left').toBeNull();
    // every service and the supervisor run from the current bundles, not through tsx
    const state = readState(topology)!;
    const commands = Object.entries({ ...state.services, supervisor: state.supervisor! }).map(([name, r]) => `${name}: ${processCommandLine(r.pid)}`);
    expect(commands.filter((c) => !/--enable-source-maps \S+\/node_modules\/\.cache\/teranga-services\/build-/.test(c))).toEqual([]);
  }, 300_000);

  it('the supervisor restarts a crashed service after a backoff, logs it, and status says "restarting" meanwhile', async () => {
    const victim = topology.services.find((s) => s.kind === 'subgraph')!;
    const before = (await clusterStatus(topology)).services.find((s) => s.name === victim.name)!;
    expect(before.pid).not.toBeNull();
    process.kill(-before.pid!, 'SIGKILL');

    const restarting = await statusUntil((s) => s.services.find((x) => x.name === victim.name)!.role === 'restarting', `${victim.name} restarting`, 30_000);
    expect(formatStatus(restarting)).toMatch(new RegExp(`${victim.name}\\s+restarting`));
    const back = await statusUntil((s) => {
      const service = s.services.find((x) => x.name === victim.name)!;
      return service.role === 'up' && service.pid !== null && service.pid !== before.pid;
    }, `${victim.name} up again`);
    expect(back.services.find((x) => x.name === victim.name)!.restarts).toBe(1);

    const logs = await runToEnd(['logs', 'supervisor']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(new RegExp(`${victim.name} exited unexpectedly; restarting in 1000 ms`));
    expect(logs.stdout).toMatch(new RegExp(`${victim.name} restarted \\(pid \\d+\\)`));
    expect(processCommandLine(back.services.find((x) => x.name === victim.name)!.pid!)).toContain(currentBundle(topology.root, victim.entry)!);
  }, 120_000);

  it('`teranga logs --request-id` follows one request across services, and --follow prints new lines as they come', async () => {
    const gateway = topology.services.find((s) => s.kind === 'gateway')!;
    const ask = (id: string) =>
      fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ query: '{ products(limit: 1) { id name } }' }) });
    const id = `launcher-${randomUUID()}`;
    expect((await ask(id)).status).toBe(200);
    const once = await runToEnd(['logs', '--request-id', id]);
    expect(once.code).toBe(0);
    const sources = new Set(once.stdout.trim().split('\n').map((line) => line.split(/\s+/)[2]));
    expect([...sources].sort()).toEqual(['gateway', 'products-subgraph']);

    const later = `launcher-${randomUUID()}`;
    const follow = teranga(['logs', 'gateway', '--follow', '--request-id', later]);
    expect((await ask(later)).status).toBe(200);
    await follow.waitFor(new RegExp(`gateway\\s+INFO .*${later}`), 30_000);
    follow.child.kill('SIGINT');
    expect(await follow.exit).toBe(0);
    expect(follow.stdout()).not.toContain('products-subgraph');

    const unknown = await runToEnd(['logs', 'no-such-service']);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/No log named "no-such-service"; logs: gateway, /);
  }, 120_000);

  it('`teranga down` ends a foreground `npm start` cleanly', async () => {
    const stop = await runToEnd(['down']);
    expect(stop.code, stop.output).toBe(0);
    expect(await first.exit).toBe(0);
    expect(first.output()).toContain('The cluster was stopped (`teranga down`); leaving.');
    expect(allDown(await clusterStatus(topology))).toBe(true);
    expect(liveRecordedProcesses()).toEqual([]);
  }, 120_000);

  it('a failed `up` (a port taken) stops what it started, prints no "ready" line and says what to do', async () => {
    const gateway = topology.services.find((s) => s.kind === 'gateway')!;
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(gateway.port, gateway.host, resolve));
    try {
      const result = await runToEnd(['up']);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`Port ${gateway.port} (${gateway.host}) is already in use: service "gateway" cannot start there.`);
      expect(result.output).toMatch(/What to do: stop what holds it .* or move the cluster to other ports with TERANGA_PORT/);
      // the PostgreSQL servers this up had started are stopped again
      expect(result.output).toMatch(/Stopped what this `up` had started \([^)]*dakar/);
      expect(result.stdout).not.toMatch(/: ready at|cluster ready/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    expect(allDown(await clusterStatus(topology))).toBe(true);
    expect(liveRecordedProcesses()).toEqual([]);
  }, 120_000);

  it('a failed `up` (services that cannot start) stops the servers and services it started and prints nothing "ready" after the failure', async () => {
    // the regions refuse this setting at start; the other services start fine
    const result = await runToEnd(['up'], { TERANGA_LOCK_TIMEOUT_MS: 'soon' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Service "region-[a-z-]+" failed to start/);
    expect(result.output).toContain('TERANGA_LOCK_TIMEOUT_MS must be a positive integer');
    expect(result.output).toMatch(/What to do: fix the cause above/);
    const afterFailure = result.stdout.slice(result.stdout.indexOf('failed: stopping what this `up` started'));
    expect(afterFailure.length).toBeLessThan(result.stdout.length);
    expect(afterFailure).not.toMatch(/: ready at|cluster ready/);
    expect(allDown(await clusterStatus(topology))).toBe(true);
    expect(liveRecordedProcesses()).toEqual([]);
  }, 180_000);

  it('a stale pid (a service record, a PostgreSQL lock file) is not trusted: up starts the real ones, down leaves the stranger alone', async () => {
    const gateway = topology.services.find((s) => s.kind === 'gateway')!;
    const primary = topology.postgres.find((s) => s.role === 'primary')!;
    const other = stranger();
    const state = readState(topology)!;
    // as after a reboot: the records name pids that another program now holds
    state.services[gateway.name] = { pid: other.pid!, startedAt: new Date(0).toISOString(), startTime: 'a-process-from-before-the-reboot' };
    writeState(topology, state);
    const lockFile = path.join(serverDataDir(state.pgRoot, primary), 'postmaster.pid');
    writeFileSync(lockFile, `${other.pid}\n${serverDataDir(state.pgRoot, primary)}\n0\n${primary.port}\n\n${primary.host}\n`);

    const booted = await runToEnd(['up']);
    expect(booted.code, booted.output).toBe(0);
    expect(booted.stdout).toMatch(new RegExp(`${primary.name}: started on`));
    expect(booted.stdout).toMatch(/gateway: ready at/);
    expect(booted.stdout).not.toMatch(/gateway: already running/);
    expect(allUp(await clusterStatus(topology))).toBe(true);

    // the stranger appears in no record any more, and down never signals it
    const again = readState(topology)!;
    again.services['stale-entry'] = { pid: other.pid!, startedAt: new Date(0).toISOString(), startTime: 'not-it' };
    writeState(topology, again);
    const stop = await runToEnd(['down']);
    expect(stop.code, stop.output).toBe(0);
    expect(stop.output).toContain(`stale-entry: not running (pid ${other.pid} is no longer it; left alone)`);
    expect(alive(other.pid!)).toBe(true);
    expect(existsSync(lockFile) ? readFileSync(lockFile, 'utf8').split('\n')[0] : null).not.toBe(String(other.pid));
    other.kill('SIGKILL');
  }, 300_000);

  it('`teranga sql` runs a statement on a database’s current primary, also after a failover', async () => {
    const boot = await runToEnd(['up', '--no-services']);
    expect(boot.code, boot.output).toBe(0);
    const count = await runToEnd(['sql', 'dakar', 'SELECT count(*) AS clients FROM client']);
    expect(count.code, count.output).toBe(0);
    expect(count.output).toMatch(/^-- dakar \(/m);
    expect(count.stdout).toMatch(/^clients\n-+\n\d+\n\(1 row\)$/m);

    const failover = await runToEnd(['failover', 'thies']);
    expect(failover.code, failover.output).toBe(0);
    const promoted = await runToEnd(['sql', 'thies', 'SELECT pg_is_in_recovery() AS standby, current_setting(\'cluster_name\') AS server']);
    expect(promoted.code, promoted.output).toBe(0);
    expect(promoted.output).toMatch(/^-- thies-standby \(/m);
    expect(promoted.stdout).toMatch(/false\s+\|\s+thies-standby/);

    const bad = await runToEnd(['sql', 'dakar', 'SELECT * FROM no_such_table']);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/relation "no_such_table" does not exist/);
    const stop = await runToEnd(['down']);
    expect(stop.code, stop.output).toBe(0);
  }, 180_000);
});
