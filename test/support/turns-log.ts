/**
 * Where the e2e tier's time goes: each file appends how long it waited (for the boot, then for its
 * turn) and how long it held its turn; the tier's teardown prints the files that held the cluster
 * alone longest, the part of the wall time that only shorter files or more shared ones can cut.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export const turnsLog = (dataDir: string) => path.join(dataDir, 'e2e-turns.log');

export interface TurnRecord {
  readonly file: string;
  readonly shared: boolean;
  readonly waitedMs: number;
  readonly heldMs: number;
}

export function readTurns(dataDir: string): TurnRecord[] {
  const file = turnsLog(dataDir);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as TurnRecord);
}

export function clearTurns(dataDir: string): void {
  rmSync(turnsLog(dataDir), { force: true });
}

export function formatTurns(turns: readonly TurnRecord[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const alone = turns.filter((t) => !t.shared).reduce((sum, t) => sum + t.heldMs, 0);
  const lines = [...turns]
    .sort((a, b) => b.heldMs - a.heldMs)
    .map((t) => `  ${t.file.padEnd(32)} ${s(t.heldMs).padStart(8)} ${t.shared ? 'shared' : 'alone '}`);
  return [`e2e turns: ${turns.length} files, ${s(alone)} holding the cluster alone`, ...lines].join('\n');
}
