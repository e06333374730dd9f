/**
 * `npm start` (`teranga up --foreground`): the launcher stays attached while the cluster runs and
 * Ctrl-C stops every server it started. Runs a second cluster, PostgreSQL servers only, on its own
 * ports and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroy } from '../cluster/cluster.ts';
import { clusterStatus } from '../cluster/status.ts';
import { buildTopology } from '../lib/topology.ts';

// created by the launcher itself, which gives the PostgreSQL user (when run as root) access to it
const dataDir = path.join(os.tmpdir(), `teranga-launcher-${process.pid}`);
const ports = { servicePort: 26000, pgPort: 27400 };
const topology = buildTopology({ dataDir, ...ports });
const env = { ...process.env, TERANGA_HOME: dataDir, TERANGA_PORT: String(ports.servicePort), TERANGA_PG_PORT: String(ports.pgPort) };

afterAll(async () => {
  await destroy(topology).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" after ${timeoutMs} ms; output:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the launcher exited (${code}) before "${text}"; output:\n${seen}`));
    });
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('teranga up --foreground', () => {
  it('stays attached while the cluster runs, and Ctrl-C stops every server', async () => {
    const child = spawn(process.execPath, ['bin/teranga.js', 'up', '--foreground', '--no-services'], { cwd: topology.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = exited(child);
    try {
      await waitForOutput(child, 'Press Ctrl-C to stop the cluster.', 150_000);
      await sleep(1_000);
      expect(child.exitCode, 'the launcher left while the cluster runs').toBeNull();
      const running = await clusterStatus(topology);
      expect(running.servers.filter((s) => s.role !== 'down').map((s) => s.name)).toEqual(topology.postgres.map((s) => s.name));

      child.kill('SIGINT');
      expect(await exit).toBe(0);
      const after = await clusterStatus(topology);
      expect(after.servers.filter((s) => s.role !== 'down' || s.pid !== null).map((s) => s.name)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
