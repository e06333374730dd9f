/**
 * PostgreSQL refuses to run as root. When the launcher runs as root (CI, containers), it creates
 * an unprivileged system user on the fly and runs every server as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
}

export const PG_SYSTEM_USER = 'teranga-pg';

/** The identity servers run under: the current user, or a dedicated system user when root. */
export function serverIdentity(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_SYSTEM_USER],
      { stdio: 'pipe' },
    );
  } catch (error) {
    // exit code 9: the user exists already
    if ((error as { status?: number }).status !== 9) throw error;
  }
  const uid = Number(execFileSync('id', ['-u', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', PG_SYSTEM_USER], { encoding: 'utf8' }).trim());
  return { uid, gid, name: PG_SYSTEM_USER };
}

/** Whether `who` can reach (and, for `x`, execute) a path: tested by running `test` as that user. */
export function canAccess(who: RunAs | null, target: string, mode: 'r' | 'x' | 'w'): boolean {
  if (!who) return true;
  const result = spawnSync('test', [`-${mode}`, target], { uid: who.uid, gid: who.gid });
  return result.status === 0;
}

export function chownTree(who: RunAs | null, dir: string): void {
  if (!who) return;
  // the tree may belong to running servers, which create and remove files as it is walked
  const walk = (p: string) => {
    try {
      chownSync(p, who.uid, who.gid);
      if (statSync(p).isDirectory()) for (const entry of readdirSync(p)) walk(path.join(p, entry));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
  walk(dir);
}
