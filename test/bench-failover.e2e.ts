/**
 * The benchmarks after a failover: `teranga failover dakar` makes dakar-standby the primary and
 * leaves the old primary down until its rebuild. A quick bench section must then find the current
 * primaries as the services do (its fixtures write to Dakar) and skip the server that is down.
 * The file fails back at its end so that the suites after it find the original roles.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failover } from '../cluster/failover.ts';
import { rebuildStandby } from '../cluster/rebuild-standby.ts';
import { readState } from '../cluster/state.ts';
import { topology } from './support/cluster.ts';

const run = promisify(execFile);

describe('a quick bench section after `teranga failover dakar`', () => {
  let output = '';

  beforeAll(async () => {
    await run(process.execPath, ['bin/teranga.js', 'failover', 'dakar'], { cwd: topology.root, env: process.env });
    const state = readState(topology)!;
    expect(state.primaries.dakar).toBe('dakar-standby');
    expect(state.rebuildPending).toContain('dakar');
    const bench = await run(path.join(topology.root, 'node_modules', '.bin', 'tsx'), ['bench/index.ts', '--quick', '--only', 'batching'], {
      cwd: topology.root,
      env: process.env,
      maxBuffer: 16 * 2 ** 20,
    });
    output = bench.stdout;
  }, 300_000);

  afterAll(async () => {
    const state = readState(topology)!;
    if (state.primaries.dakar === 'dakar-standby') {
      if (state.rebuildPending?.includes('dakar')) await rebuildStandby(topology, 'dakar');
      await failover(topology, 'dakar');
    }
    if (readState(topology)!.rebuildPending?.includes('dakar-standby')) await rebuildStandby(topology, 'dakar');
  }, 300_000);

  it('prepares its fixtures on the promoted primary and prints its figures', () => {
    expect(output).toContain('== 4. batching');
    expect(output).toMatch(/statements\s+\d/);
  });
});
