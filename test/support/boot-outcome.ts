/**
 * The outcome of the test cluster's boot (test/support/global-setup.ts), as a file in its data
 * directory: the e2e files run in other processes and wait for it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Topology } from '../../lib/topology.ts';

export type BootOutcome = { ok: true } | { ok: false; error: string };

export const bootOutcomeFile = (topology: Topology) => path.join(topology.dataDir, 'test-cluster-boot.json');

export function writeBootOutcome(topology: Topology, outcome: BootOutcome): void {
  mkdirSync(topology.dataDir, { recursive: true });
  // written whole, then renamed: a reader never sees half of it
  const partial = `${bootOutcomeFile(topology)}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(outcome));
  renameSync(partial, bootOutcomeFile(topology));
}

export function readBootOutcome(topology: Topology): BootOutcome | null {
  if (!existsSync(bootOutcomeFile(topology))) return null;
  return JSON.parse(readFileSync(bootOutcomeFile(topology), 'utf8')) as BootOutcome;
}
