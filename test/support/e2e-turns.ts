/**
 * Turns of the e2e files on the one test cluster. Every file first waits for the cluster's boot
 * (test/support/global-setup.ts runs it in the background). Then:
 * - a file listed in SHARED_FILES only reads what the others write, or writes only data of its own
 *   that no other file asserts on, and asserts nothing cluster-wide: it runs beside other shared files;
 * - every other file (the default) is disruptive or asserts on the whole cluster: it restarts or
 *   kills processes, fails a primary over, switches the coordinator's or the payment provider's
 *   settings, or takes fingerprints of every table, counts prepared transactions everywhere, checks
 *   conservation over all orders. It runs alone: it waits until no other e2e file runs, and no file
 *   starts while it waits or runs.
 * A readers-writer lock across worker processes, in the cluster's data directory: `exclusive/` (a
 * directory, created atomically) for the file running alone, `shared-<pid>` files for the others.
 * A holder that died (a crashed worker) releases nothing: its lock is taken over.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { topologyFromEnv } from '../../lib/topology.ts';
import { readBootOutcome } from './boot-outcome.ts';
import { alive } from './process-alive.ts';
import { turnsLog, type TurnRecord } from './turns-log.ts';

/** The e2e files that run beside each other (see above); any file not named here runs alone. */
export const SHARED_FILES: readonly string[] = [
  'differential.e2e.ts',
  'products-subgraph.e2e.ts',
  'web-pages.e2e.ts',
  'query-limits.e2e.ts',
  'fragmentation.e2e.ts',
  'tool-connections.e2e.ts',
];

const topology = topologyFromEnv();
const dir = path.join(topology.dataDir, 'e2e-turns');
const exclusive = path.join(dir, 'exclusive');
const exclusiveOwner = path.join(exclusive, 'pid');
const sharedFile = (pid: number) => path.join(dir, `shared-${pid}`);
const POLL_MS = 100;
const pause = () => new Promise((r) => setTimeout(r, POLL_MS));

/** Whether a live process holds (or waits for) the exclusive turn. */
function exclusiveHeld(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(exclusiveOwner, 'utf8'));
  } catch {
    // no owner yet: its holder is writing it, unless the directory is older than that takes
    try {
      return Date.now() - statSync(exclusive).mtimeMs < 5_000;
    } catch {
      return false;
    }
  }
  if (alive(pid)) return true;
  rmSync(exclusive, { recursive: true, force: true });
  return false;
}

/** Live holders of a shared turn other than this process; the files of dead ones are removed. */
function otherSharedHolders(): number[] {
  return readdirSync(dir)
    .flatMap((name) => (/^shared-(\d+)$/.exec(name) ? [Number(name.slice('shared-'.length))] : []))
    .filter((pid) => pid !== process.pid)
    .filter((pid) => alive(pid) || (rmSync(sharedFile(pid), { force: true }), false));
}

async function bootDone(): Promise<void> {
  for (;;) {
    const outcome = readBootOutcome(topology);
    if (outcome?.ok) return;
    if (outcome) throw new Error(`the test cluster did not boot: ${outcome.error}`);
    await pause();
  }
}

async function takeExclusive(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(exclusive);
      writeFileSync(exclusiveOwner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!exclusiveHeld()) continue;
    await pause();
  }
  // no shared file starts now (they see the directory): wait for those that run to end
  while (otherSharedHolders().length > 0) await pause();
}

async function takeShared(): Promise<void> {
  for (;;) {
    if (!exclusiveHeld()) {
      writeFileSync(sharedFile(process.pid), '');
      // an exclusive turn taken meanwhile goes first (it waits for this file, which steps back)
      if (!exclusiveHeld()) return;
      rmSync(sharedFile(process.pid), { force: true });
    }
    await pause();
  }
}

const file = path.basename(expect.getState().testPath ?? '');
const shared = SHARED_FILES.includes(file);
let asked = 0;
let taken = 0;

beforeAll(async () => {
  asked = Date.now();
  await bootDone();
  mkdirSync(dir, { recursive: true });
  await (shared ? takeShared() : takeExclusive());
  taken = Date.now();
}, 900_000);

afterAll(() => {
  if (shared) rmSync(sharedFile(process.pid), { force: true });
  else rmSync(exclusive, { recursive: true, force: true });
  if (taken > 0) {
    const record: TurnRecord = { file, shared, waitedMs: taken - asked, heldMs: Date.now() - taken };
    appendFileSync(turnsLog(topology.dataDir), `${JSON.stringify(record)}\n`);
  }
});
