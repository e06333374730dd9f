/**
 * The e2e files share one cluster and assert on its data (fingerprints of every table, no
 * prepared transaction left anywhere), so they run one at a time: each file holds a lock for its
 * whole run. It is a lock rather than a single worker so that the launcher's tests, on a cluster
 * of their own, run beside them (vitest gives every project of a group the same worker count).
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { topologyFromEnv } from '../../lib/topology.ts';

const lock = path.join(topologyFromEnv().dataDir, 'e2e-file.lock');
const owner = path.join(lock, 'pid');

function holderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(owner, 'utf8'));
  } catch {
    // no owner yet: its holder is writing it, unless the lock is older than that takes
    try {
      return Date.now() - statSync(lock).mtimeMs < 5_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // a holder that died (a crashed worker) releases nothing: take its lock over
    if (!holderAlive()) rmSync(lock, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 100));
  }
}, 900_000);

afterAll(() => {
  rmSync(lock, { recursive: true, force: true });
});
