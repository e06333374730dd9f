/**
 * Measures the local cluster's boot: cold (no data, no initdb template), cached template (fresh
 * data copied from the template), and warm (a second boot on existing data), for the PostgreSQL
 * servers alone; then the memory (RSS) of every PostgreSQL process. Runs on its own ports and data
 * directory, so it can run beside `npm start`.
 *
 *   npm run bench:boot
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destroy, down, reset, up } from '../cluster/cluster.ts';
import { clusterStatus } from '../cluster/status.ts';
import { buildTopology } from '../lib/topology.ts';

const dataDir = path.join(os.tmpdir(), `teranga-boot-${process.pid}`);
const topology = buildTopology({ dataDir, servicePort: 33000, pgPort: 33400 });

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(46)} ${(ms / 1000).toFixed(2).padStart(6)} s`);
  return ms;
}

/** Proportional set size (kB) of the postmasters and their children: shared memory counted once. */
function pssOfPostgres(pids: number[]): { kb: number; processes: number } {
  // every backend and auxiliary process is a child of its postmaster
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const roots = new Set(pids);
  const members = rows.filter(([pid, ppid]) => roots.has(pid) || roots.has(ppid)).map(([pid]) => pid);
  let kb = 0;
  for (const pid of members) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kb += Number(match?.[1] ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return { kb, processes: members.length };
}

console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`cluster: ${topology.postgres.length} PostgreSQL servers (primaries + standbys), data in ${dataDir}\n`);
try {
  const cold = await timed('cold boot (initdb, create, start, migrate, seed)', () => up(topology, { services: false }));
  await down(topology);
  await reset(topology);
  const template = await timed('boot from the cached template (fresh data)', () => up(topology, { services: false }));
  await down(topology);
  const warm = await timed('warm boot (existing data)', () => up(topology, { services: false }));
  const status = await clusterStatus(topology);
  const pids = status.servers.map((s) => s.pid).filter((p): p is number => p !== null);
  const memory = pssOfPostgres(pids);
  console.log(`\nmemory: ${(memory.kb / 1024).toFixed(0)} MB (PSS) for ${pids.length} servers, ${memory.processes} processes (${(memory.kb / 1024 / pids.length).toFixed(1)} MB per server)`);
  console.log(`ratios: warm / cold = ${(warm / cold).toFixed(2)}, template / cold = ${(template / cold).toFixed(2)}`);
} finally {
  await destroy(topology).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
